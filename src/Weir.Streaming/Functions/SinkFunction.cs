using Weir.Checkpointing.Metadata;
using Weir.Streaming.State;

namespace Weir.Streaming.Functions;

/// <summary>
/// Where a stream ends. For exactly-once output, buffer or stage records, pre-commit them in
/// <see cref="SnapshotState"/> (keep what is pending in operator state) and commit in
/// <see cref="NotifyCheckpointComplete"/>: the two-phase commit of Flink's sinks.
/// Each subtask runs a shallow copy of the instance given to the job.
/// </summary>
public abstract class SinkFunction<T>
{
    /// <summary>Called once per subtask before the first record.</summary>
    public virtual void Open(SinkContext context)
    {
    }

    /// <summary>Called for every record.</summary>
    public abstract void Invoke(T value, long? timestamp);

    /// <summary>The synchronous part of checkpoint <paramref name="checkpointId"/>: pre-commit.</summary>
    public virtual void SnapshotState(long checkpointId)
    {
    }

    /// <summary>Checkpoint <paramref name="checkpointId"/> (and all before it) completed: commit.</summary>
    public virtual void NotifyCheckpointComplete(long checkpointId)
    {
    }

    /// <summary>Checkpoint <paramref name="checkpointId"/> was aborted.</summary>
    public virtual void NotifyCheckpointAborted(long checkpointId)
    {
    }

    /// <summary>End of input: no more records will come (commit what is left for bounded jobs).</summary>
    public virtual void Finish()
    {
    }

    /// <summary>Called once when the subtask stops, also after a failure.</summary>
    public virtual void Close()
    {
    }

    internal SinkFunction<T> CreateInstance() => (SinkFunction<T>)MemberwiseClone();
}

/// <summary>Where a sink runs, and its operator state.</summary>
public sealed class SinkContext
{
    private readonly OperatorStateStore _state;

    internal SinkContext(int subtaskIndex, int parallelism, string operatorName, bool isRestored, OperatorStateStore state)
    {
        SubtaskIndex = subtaskIndex;
        Parallelism = parallelism;
        OperatorName = operatorName;
        IsRestored = isRestored;
        _state = state;
    }

    /// <summary>This subtask's index.</summary>
    public int SubtaskIndex { get; }

    /// <summary>The sink's parallelism.</summary>
    public int Parallelism { get; }

    /// <summary>The sink's name.</summary>
    public string OperatorName { get; }

    /// <summary>True if the subtask starts from a checkpoint.</summary>
    public bool IsRestored { get; }

    /// <summary>Operator list state, checkpointed with the job and split evenly on rescale (or given to all, for union).</summary>
    public IOperatorListState<TItem> GetListState<TItem>(string name, OperatorStateDistribution distribution = OperatorStateDistribution.EvenSplit) =>
        _state.GetListState<TItem>(name, distribution);
}
