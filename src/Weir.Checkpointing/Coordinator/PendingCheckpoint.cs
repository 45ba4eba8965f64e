using Weir.Checkpointing.Metadata;

namespace Weir.Checkpointing.Coordinator;

/// <summary>
/// A checkpoint that was triggered and is collecting acknowledgements. Acknowledging is
/// idempotent: a duplicate, a late ack after the checkpoint was discarded, or an ack from a task
/// that was never asked is reported as such and changes nothing (Flink's TaskAcknowledgeResult).
/// </summary>
internal sealed class PendingCheckpoint
{
    private readonly HashSet<TaskKey> _notYetAcknowledged;
    private readonly Dictionary<TaskKey, TaskCheckpointAck> _acks = [];

    public PendingCheckpoint(long checkpointId, DateTimeOffset triggeredAt, CheckpointKind kind, IEnumerable<TaskKey> tasksToAcknowledge, DateTimeOffset deadline)
    {
        CheckpointId = checkpointId;
        TriggeredAt = triggeredAt;
        Kind = kind;
        Deadline = deadline;
        _notYetAcknowledged = [.. tasksToAcknowledge];
        TaskCount = _notYetAcknowledged.Count;
    }

    public long CheckpointId { get; }

    public DateTimeOffset TriggeredAt { get; }

    public CheckpointKind Kind { get; }

    public DateTimeOffset Deadline { get; }

    public int TaskCount { get; }

    public bool IsDiscarded { get; private set; }

    public bool IsFullyAcknowledged => _notYetAcknowledged.Count == 0 && !IsDiscarded;

    public IReadOnlyCollection<TaskKey> NotYetAcknowledged => _notYetAcknowledged;

    public IReadOnlyDictionary<TaskKey, TaskCheckpointAck> Acknowledgements => _acks;

    public AcknowledgeResult Acknowledge(TaskKey task, TaskCheckpointAck ack)
    {
        if (IsDiscarded)
        {
            return AcknowledgeResult.Discarded;
        }

        if (_notYetAcknowledged.Remove(task))
        {
            _acks[task] = ack;
            return AcknowledgeResult.Success;
        }

        return _acks.ContainsKey(task) ? AcknowledgeResult.Duplicate : AcknowledgeResult.Unknown;
    }

    /// <summary>Marks the checkpoint discarded; later acks are answered <see cref="AcknowledgeResult.Discarded"/>.</summary>
    public void Discard() => IsDiscarded = true;

    /// <summary>Assembles the metadata from the acknowledgements, grouping subtask states by operator.</summary>
    public CheckpointMetadata ToMetadata(string jobId, string jobName, IReadOnlyDictionary<string, OperatorDescriptor> operators)
    {
        var byOperator = new Dictionary<string, List<SubtaskStateSnapshot>>(StringComparer.Ordinal);
        foreach (var ack in _acks.Values)
        {
            foreach (var (uid, state) in ack.OperatorStates)
            {
                if (!byOperator.TryGetValue(uid, out var list))
                {
                    byOperator[uid] = list = [];
                }

                list.Add(state);
            }
        }

        var snapshots = operators.Values
            .Select(op => new OperatorStateSnapshot(
                op.Uid,
                op.Name,
                op.Parallelism,
                op.MaxParallelism,
                byOperator.TryGetValue(op.Uid, out var states) ? [.. states.OrderBy(s => s.SubtaskIndex)] : []))
            .OrderBy(o => o.OperatorUid, StringComparer.Ordinal)
            .ToArray();
        return new CheckpointMetadata(CheckpointId, TriggeredAt, jobId, jobName, Kind, snapshots);
    }
}

/// <summary>The outcome of one acknowledgement.</summary>
internal enum AcknowledgeResult
{
    Success,
    Duplicate,
    Unknown,
    Discarded,
}

/// <summary>What the coordinator knows of an operator: for the metadata and for matching state on restore.</summary>
public sealed record OperatorDescriptor(string Uid, string Name, int Parallelism, int MaxParallelism);
