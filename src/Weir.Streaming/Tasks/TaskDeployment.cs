using Weir.Checkpointing.Configuration;
using Weir.Checkpointing.Recovery;

namespace Weir.Streaming.Tasks;

/// <summary>Everything one subtask needs to start: which job, attempt, vertex and subtask; how to checkpoint; what to restore, and from which store (<c>RestoreLocation</c>; null: the job's own).</summary>
public sealed record TaskDeployment(
    string JobId,
    int Attempt,
    string VertexId,
    int SubtaskIndex,
    CheckpointingMode Mode,
    long? RestoredCheckpointId,
    IReadOnlyDictionary<string, OperatorRestoreState>? RestoreState,
    string? RestoreLocation,
    TaskOptions Options)
{
    /// <summary>Incremental checkpoints of keyed state; null (the default) for full checkpoints.</summary>
    public ChangelogOptions? Changelog { get; init; }

    /// <summary>
    /// Unaligned checkpoints (<c>execution.checkpointing.unaligned.enabled</c>, exactly-once only):
    /// a source's checkpoint barriers overtake the records in flight, which checkpoints keep as
    /// channel state. Savepoints stay aligned.
    /// </summary>
    public bool Unaligned { get; init; }

    /// <summary>
    /// With <see cref="Unaligned"/>: 0 (the default), checkpoints are unaligned from the start; more,
    /// they start aligned, and a barrier still waiting behind records that long after its checkpoint
    /// was triggered overtakes them, turning the checkpoint unaligned where it does
    /// (<c>execution.checkpointing.aligned-checkpoint-timeout</c>).
    /// </summary>
    public TimeSpan AlignedCheckpointTimeout { get; init; }

    /// <summary>
    /// How many threads write a full snapshot of an operator's keyed state at once, each a file of a
    /// run of its key groups (<c>state.backend.snapshot.write-threads</c>); 1 (the default): one file.
    /// </summary>
    public int SnapshotWriteThreads { get; init; } = 1;
}

/// <summary>
/// Data-plane settings of a task. With <paramref name="FinalCheckpoint"/> (checkpointing on), a
/// source that reached the end of its input waits for a checkpoint taken after that point to
/// complete before it ends the stream, so sinks commit everything exactly once (Flink's FLIP-147).
/// </summary>
public sealed record TaskOptions(int BatchSize, TimeSpan BufferTimeout, bool FinalCheckpoint = true)
{
    /// <summary>1,024 records per batch; partial batches flushed after 100 ms; a final checkpoint.</summary>
    public static readonly TaskOptions Default = new(1024, TimeSpan.FromMilliseconds(100));
}

/// <summary>One input channel of a task and the input of the head operator it feeds.</summary>
public sealed record InputBinding(IInputChannel Channel, int InputIndex)
{
    /// <summary>The encoding of the edge's elements: how an unaligned checkpoint keeps the channel's in-flight records. Required when checkpoints are unaligned.</summary>
    public Elements.IStreamElementCodec? Codec { get; init; }
}

/// <summary>Where a task is in its life.</summary>
public enum TaskState
{
    /// <summary>Created; state not yet restored.</summary>
    Created,

    /// <summary>Processing.</summary>
    Running,

    /// <summary>Input ended; sending what is left.</summary>
    Finishing,

    /// <summary>All input processed and all output sent.</summary>
    Finished,

    /// <summary>Cancelled by the job master.</summary>
    Canceled,

    /// <summary>Failed; reported to the job master.</summary>
    Failed,
}
