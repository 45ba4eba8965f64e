namespace Weir.Streaming.Functions;

/// <summary>
/// A replayable source. Its input is divided into splits (partitions) whose positions are the
/// source's checkpointed state: a split is <typeparamref name="TSplit"/>, a value holding where
/// to resume. On a fresh start each subtask creates its splits; on a restore it receives the
/// checkpointed splits (redistributed evenly when parallelism changed), so every split is read
/// by exactly one subtask and resumes exactly where the checkpoint was taken.
///
/// <see cref="Poll"/> runs between the task's other work and must return promptly: emit at most
/// the records asked for, then say whether more are available now, later, or never.
/// Each subtask runs a shallow copy of the instance given to the job.
/// </summary>
public abstract class SourceFunction<T, TSplit>
{
    /// <summary>The splits subtask <paramref name="subtaskIndex"/> of <paramref name="parallelism"/> starts with on a fresh start.</summary>
    public abstract IEnumerable<TSplit> CreateSplits(int subtaskIndex, int parallelism);

    /// <summary>Called once per subtask with the splits it reads (fresh or restored).</summary>
    public abstract void Open(IReadOnlyList<TSplit> splits, SourceContext context);

    /// <summary>Emits up to <paramref name="maxRecords"/> records.</summary>
    public abstract SourceStatus Poll(ISourceOutput<T> output, int maxRecords);

    /// <summary>The current position of every split of this subtask (the synchronous part of a checkpoint).</summary>
    public abstract IEnumerable<TSplit> SnapshotSplits();

    /// <summary>Checkpoint <paramref name="checkpointId"/> completed.</summary>
    public virtual void NotifyCheckpointComplete(long checkpointId)
    {
    }

    /// <summary>Called once when the subtask stops.</summary>
    public virtual void Close()
    {
    }

    internal SourceFunction<T, TSplit> CreateInstance() => (SourceFunction<T, TSplit>)MemberwiseClone();
}

/// <summary>Where a source emits.</summary>
public interface ISourceOutput<in T>
{
    /// <summary>
    /// The split (index into the splits given to Open) the following records come from. Sources
    /// with several splits set it so watermarks are tracked per split; others may ignore it.
    /// </summary>
    int CurrentSplit { get; set; }

    /// <summary>Emits a record without a timestamp.</summary>
    void Collect(T value);

    /// <summary>Emits a record with an event timestamp (milliseconds).</summary>
    void Collect(T value, long timestamp);
}

/// <summary>Where a source runs.</summary>
public sealed class SourceContext(int subtaskIndex, int parallelism, TimeProvider clock)
{
    /// <summary>This subtask's index.</summary>
    public int SubtaskIndex { get; } = subtaskIndex;

    /// <summary>The source's parallelism.</summary>
    public int Parallelism { get; } = parallelism;

    /// <summary>The clock (rate limits, processing time).</summary>
    public TimeProvider Clock { get; } = clock;
}

/// <summary>What a poll found: more now, nothing until later, or the end.</summary>
public readonly record struct SourceStatus(SourceState State, TimeSpan RetryAfter)
{
    /// <summary>More records are available now.</summary>
    public static readonly SourceStatus MoreAvailable = new(SourceState.MoreAvailable, TimeSpan.Zero);

    /// <summary>All splits are read to their end.</summary>
    public static readonly SourceStatus Finished = new(SourceState.Finished, TimeSpan.Zero);

    /// <summary>Nothing now; poll again after <paramref name="delay"/>.</summary>
    public static SourceStatus NothingAvailableFor(TimeSpan delay) => new(SourceState.NothingAvailable, delay);
}

/// <summary>The states of <see cref="SourceStatus"/>.</summary>
public enum SourceState
{
    /// <summary>More now.</summary>
    MoreAvailable,

    /// <summary>Nothing now.</summary>
    NothingAvailable,

    /// <summary>The end.</summary>
    Finished,
}
