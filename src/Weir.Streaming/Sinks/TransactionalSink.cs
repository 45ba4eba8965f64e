using Weir.Checkpointing.Metadata;
using Weir.Streaming.Functions;
using Weir.Streaming.State;

namespace Weir.Streaming.Sinks;

/// <summary>
/// Exactly-once output by two-phase commit (Flink's TwoPhaseCommitSinkFunction):
/// <list type="number">
/// <item>records of the current transaction are buffered;</item>
/// <item>on checkpoint n (synchronous part) the transaction is pre-committed and kept, with its
/// records, in operator state, so it survives a failure;</item>
/// <item>when n completes, every transaction up to n is committed;</item>
/// <item>after a restore, the transactions found in the restored state belong to a completed
/// checkpoint and are committed again: <see cref="Commit"/> must be idempotent per transaction id.</item>
/// </list>
/// At end of input (bounded jobs) the open transaction is committed directly.
/// </summary>
public abstract class TransactionalSink<T> : SinkFunction<T>
{
    private const string PendingState = "pending-transactions";
    private List<T> _current = [];
    private List<PendingTransaction> _pending = [];
    private IOperatorListState<PendingTransaction>? _state;
    private int _subtask;

    /// <summary>Commits a transaction; called again with the same id after a restore, so it must be idempotent.</summary>
    protected abstract void Commit(string transactionId, IReadOnlyList<T> records);

    /// <inheritdoc />
    public override void Open(SinkContext context)
    {
        _subtask = context.SubtaskIndex;
        _state = context.GetListState<PendingTransaction>(PendingState, OperatorStateDistribution.EvenSplit);
        foreach (var restored in _state.Get())
        {
            Commit(restored.TransactionId, restored.Records);
        }

        _state.Clear();
        _current = [];
        _pending = [];
    }

    /// <inheritdoc />
    public override void Invoke(T value, long? timestamp) => _current.Add(value);

    /// <inheritdoc />
    public override void SnapshotState(long checkpointId)
    {
        _pending.Add(new PendingTransaction($"{_subtask}-{checkpointId}", checkpointId, [.. _current]));
        _current = [];
        _state!.Update(_pending);
    }

    /// <inheritdoc />
    public override void NotifyCheckpointComplete(long checkpointId)
    {
        foreach (var transaction in _pending.Where(t => t.CheckpointId <= checkpointId).ToArray())
        {
            Commit(transaction.TransactionId, transaction.Records);
            _pending.Remove(transaction);
        }

        _state!.Update(_pending);
    }

    /// <inheritdoc />
    public override void Finish()
    {
        foreach (var transaction in _pending)
        {
            Commit(transaction.TransactionId, transaction.Records);
        }

        Commit($"{_subtask}-final", _current);
        _pending = [];
        _current = [];
    }

    /// <summary>A pre-committed transaction: its id, the checkpoint that pre-committed it, its records.</summary>
    public sealed record PendingTransaction(string TransactionId, long CheckpointId, T[] Records);
}
