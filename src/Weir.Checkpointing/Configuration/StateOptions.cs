using Weir.Checkpointing.Configuration.Parsing;
using K = Weir.Checkpointing.Configuration.ConfigurationKeys;

namespace Weir.Checkpointing.Configuration;

/// <summary>The state backend and its changelog: <c>state.*</c> keys. Immutable; validated by <see cref="WeirOptions.Parse(Microsoft.Extensions.Configuration.IConfiguration)"/>.</summary>
public sealed class StateOptions
{
    /// <summary>The only state backend Weir has: keyed state on the heap, in hash maps.</summary>
    public const string HashMapBackend = "hashmap";

    /// <summary>The state backend (<c>state.backend.type</c>). Only "hashmap" is available.</summary>
    public string BackendType { get; init; } = HashMapBackend;

    /// <summary>
    /// With incremental checkpoints, how long changes may pile up on a key group's last full copy
    /// before it is materialized again, in the background
    /// (<c>state.changelog.periodic-materialize.interval</c>). Default 10 min; greater than 0.
    /// </summary>
    public TimeSpan PeriodicMaterializeInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// With incremental checkpoints, how many deltas may follow a key group's last full copy before
    /// it is materialized again, in the background (<c>state.changelog.max-delta-chain-length</c>,
    /// Weir's own key); a restore replays at most twice as many. Default 8; at least 1.
    /// </summary>
    public int MaxDeltaChainLength { get; init; } = 8;

    /// <summary>The most <see cref="SnapshotWriteThreads"/> accepted.</summary>
    public const int MaxSnapshotWriteThreads = 64;

    /// <summary>
    /// How many threads write a full snapshot (full checkpoints, savepoints) of one operator
    /// subtask's keyed state at once, each to its own file of a run of the key groups
    /// (<c>state.backend.snapshot.write-threads</c>, Weir's own key). The write is serialization,
    /// CPU work competing with the tasks, so more writers finish a large snapshot sooner; a file
    /// holds at least 65,536 entries, so small state stays one file. Default 4 (as Flink's RocksDB
    /// transfer threads); 1 to 64.
    /// </summary>
    public int SnapshotWriteThreads { get; init; } = 4;

    internal static StateOptions Read(SettingReader reader)
    {
        var defaults = new StateOptions();
        var backend = reader.Raw(K.StateBackendType);
        if (backend is not null && !string.Equals(backend.Trim(), HashMapBackend, StringComparison.OrdinalIgnoreCase))
        {
            reader.Fail(K.StateBackendType, $"only {HashMapBackend} is available");
        }

        return new StateOptions
        {
            BackendType = HashMapBackend,
            PeriodicMaterializeInterval = reader.Duration(K.PeriodicMaterializeInterval, defaults.PeriodicMaterializeInterval, TimeSpan.Zero, exclusive: true),
            MaxDeltaChainLength = reader.Integer(K.MaxDeltaChainLength, defaults.MaxDeltaChainLength, minimum: 1),
            SnapshotWriteThreads = reader.Integer(K.SnapshotWriteThreads, defaults.SnapshotWriteThreads, minimum: 1, maximum: MaxSnapshotWriteThreads),
        };
    }

    internal IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        yield return new(K.StateBackendType, BackendType);
        yield return new(K.PeriodicMaterializeInterval, SettingFormat.Of(PeriodicMaterializeInterval));
        yield return new(K.MaxDeltaChainLength, SettingFormat.Of(MaxDeltaChainLength));
        yield return new(K.SnapshotWriteThreads, SettingFormat.Of(SnapshotWriteThreads));
    }
}
