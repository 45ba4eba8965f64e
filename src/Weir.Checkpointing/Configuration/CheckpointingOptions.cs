using Weir.Checkpointing.Configuration.Parsing;
using K = Weir.Checkpointing.Configuration.ConfigurationKeys;

namespace Weir.Checkpointing.Configuration;

/// <summary>
/// How and where a job checkpoints: the <c>execution.checkpointing.*</c> keys. Immutable; built by
/// <see cref="WeirOptions.Parse(Microsoft.Extensions.Configuration.IConfiguration)"/>, which
/// validates every value. Defaults are Flink's.
/// </summary>
public sealed class CheckpointingOptions
{
    /// <summary>The default checkpoint location: a directory relative to the working directory.</summary>
    public const string DefaultDirectory = "./data/checkpoints";

    internal static readonly FlinkChoice<CheckpointingMode> Modes = new(
        (CheckpointingMode.ExactlyOnce, "EXACTLY_ONCE", []),
        (CheckpointingMode.AtLeastOnce, "AT_LEAST_ONCE", []));

    internal static readonly FlinkChoice<ExternalizedCheckpointRetention> Retentions = new(
        (ExternalizedCheckpointRetention.NoExternalizedCheckpoints, "NO_EXTERNALIZED_CHECKPOINTS", []),
        (ExternalizedCheckpointRetention.RetainOnCancellation, "RETAIN_ON_CANCELLATION", []),
        (ExternalizedCheckpointRetention.DeleteOnCancellation, "DELETE_ON_CANCELLATION", []));

    internal const string DirectoryAllowed = "expected a directory path, a file:// URI or an http(s) URL";

    /// <summary>
    /// Time between the starts of two checkpoints (<c>execution.checkpointing.interval</c>); null
    /// when checkpointing is disabled: the key is absent, empty or zero.
    /// </summary>
    public TimeSpan? Interval { get; init; }

    /// <summary>Whether the job checkpoints at all: <see cref="Interval"/> is set.</summary>
    public bool IsEnabled => Interval is not null;

    /// <summary>Exactly-once or at-least-once (<c>execution.checkpointing.mode</c>). Default exactly-once.</summary>
    public CheckpointingMode Mode { get; init; } = CheckpointingMode.ExactlyOnce;

    /// <summary>How long a checkpoint may take before it is aborted (<c>execution.checkpointing.timeout</c>). Default 10 min; greater than 0.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Least time between the end of one checkpoint and the start of the next (<c>execution.checkpointing.min-pause</c>). Default 0.</summary>
    public TimeSpan MinPause { get; init; } = TimeSpan.Zero;

    /// <summary>How many checkpoints may be in progress at once (<c>execution.checkpointing.max-concurrent-checkpoints</c>). Default 1; at least 1.</summary>
    public int MaxConcurrentCheckpoints { get; init; } = 1;

    /// <summary>How many consecutive checkpoint failures the job tolerates before it fails (<c>execution.checkpointing.tolerable-failed-checkpoints</c>). Default 0.</summary>
    public int TolerableFailedCheckpoints { get; init; }

    /// <summary>Whether checkpoints outlive a cancelled job (<c>execution.checkpointing.externalized-checkpoint-retention</c>). Default none are kept.</summary>
    public ExternalizedCheckpointRetention ExternalizedRetention { get; init; } = ExternalizedCheckpointRetention.NoExternalizedCheckpoints;

    /// <summary>How many completed checkpoints are kept (<c>execution.checkpointing.num-retained</c>). Default 1; at least 1.</summary>
    public int NumRetained { get; init; } = 1;

    /// <summary>
    /// Where checkpoints are written (<c>execution.checkpointing.dir</c>): a directory path, a
    /// file:// URI, or an http(s) URL of an Azure Blob container. Default "./data/checkpoints".
    /// </summary>
    public string Directory { get; init; } = DefaultDirectory;

    /// <summary>Whether keyed state is checkpointed incrementally, sharing unchanged files between checkpoints (<c>execution.checkpointing.incremental</c>). Default false.</summary>
    public bool Incremental { get; init; }

    /// <summary>Whether barriers may overtake buffered records (<c>execution.checkpointing.unaligned.enabled</c>). Default false.</summary>
    public bool UnalignedEnabled { get; init; }

    /// <summary>
    /// With unaligned checkpoints, how long after a checkpoint is triggered its barriers may wait
    /// behind records before they overtake them (<c>execution.checkpointing.aligned-checkpoint-timeout</c>):
    /// checkpoints start aligned and turn unaligned where a barrier waited longer. 0, the default:
    /// unaligned from the start. Without unaligned checkpoints it has no effect (as in Flink).
    /// </summary>
    public TimeSpan AlignedCheckpointTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// How long a job's checkpoint coordinator keeps trying to take the lease on
    /// <c>&lt;dir&gt;/&lt;job id&gt;/_coordinator.lease</c> while another coordinator of the job holds
    /// it, before the job fails (<c>execution.checkpointing.lease-acquire-timeout</c>, Weir's own
    /// key). Long enough for a previous holder to stop or its lease to expire (at most 60 s after
    /// its process died) during a rollout. Default 60 s; greater than 0.
    /// </summary>
    public TimeSpan LeaseAcquireTimeout { get; init; } = TimeSpan.FromSeconds(60);

    internal static CheckpointingOptions Read(SettingReader reader)
    {
        var defaults = new CheckpointingOptions();
        return new CheckpointingOptions
        {
            Interval = ReadInterval(reader),
            Mode = reader.Choice(K.CheckpointingMode, defaults.Mode, Modes),
            Timeout = reader.Duration(K.CheckpointingTimeout, defaults.Timeout, TimeSpan.Zero, exclusive: true),
            MinPause = reader.Duration(K.CheckpointingMinPause, defaults.MinPause, TimeSpan.Zero),
            MaxConcurrentCheckpoints = reader.Integer(K.MaxConcurrentCheckpoints, defaults.MaxConcurrentCheckpoints, minimum: 1),
            TolerableFailedCheckpoints = reader.Integer(K.TolerableFailedCheckpoints, defaults.TolerableFailedCheckpoints, minimum: 0),
            ExternalizedRetention = reader.Choice(K.ExternalizedCheckpointRetention, defaults.ExternalizedRetention, Retentions),
            NumRetained = reader.Integer(K.NumRetained, defaults.NumRetained, minimum: 1),
            Directory = reader.Location(K.CheckpointsDirectory, defaults.Directory, DirectoryAllowed, optional: false)!,
            Incremental = reader.Boolean(K.Incremental, defaults.Incremental),
            UnalignedEnabled = reader.Boolean(K.UnalignedEnabled, defaults.UnalignedEnabled),
            AlignedCheckpointTimeout = reader.Duration(K.AlignedCheckpointTimeout, defaults.AlignedCheckpointTimeout, TimeSpan.Zero),
            LeaseAcquireTimeout = reader.Duration(K.LeaseAcquireTimeout, defaults.LeaseAcquireTimeout, TimeSpan.Zero, exclusive: true),
        };
    }

    /// <summary>The effective values under their Flink keys; null for an unset interval.</summary>
    internal IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        yield return new(K.CheckpointingInterval, Interval is { } interval ? SettingFormat.Of(interval) : null);
        yield return new(K.CheckpointingMode, Modes.NameOf(Mode));
        yield return new(K.CheckpointingTimeout, SettingFormat.Of(Timeout));
        yield return new(K.CheckpointingMinPause, SettingFormat.Of(MinPause));
        yield return new(K.MaxConcurrentCheckpoints, SettingFormat.Of(MaxConcurrentCheckpoints));
        yield return new(K.TolerableFailedCheckpoints, SettingFormat.Of(TolerableFailedCheckpoints));
        yield return new(K.ExternalizedCheckpointRetention, Retentions.NameOf(ExternalizedRetention));
        yield return new(K.NumRetained, SettingFormat.Of(NumRetained));
        yield return new(K.CheckpointsDirectory, Directory);
        yield return new(K.Incremental, SettingFormat.Of(Incremental));
        yield return new(K.UnalignedEnabled, SettingFormat.Of(UnalignedEnabled));
        yield return new(K.AlignedCheckpointTimeout, SettingFormat.Of(AlignedCheckpointTimeout));
        yield return new(K.LeaseAcquireTimeout, SettingFormat.Of(LeaseAcquireTimeout));
    }

    /// <summary>Zero means disabled, as in Flink; so does an empty value (an override that clears the key).</summary>
    private static TimeSpan? ReadInterval(SettingReader reader)
    {
        var raw = reader.Raw(K.CheckpointingInterval);
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        if (!FlinkDuration.TryParse(raw, out var interval, out var problem))
        {
            reader.Fail(K.CheckpointingInterval, problem);
            return null;
        }

        return interval == TimeSpan.Zero ? null : interval;
    }
}
