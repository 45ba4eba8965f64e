using Weir.Streaming.Functions;
using Weir.Streaming.State;

namespace Weir.Streaming.Operators;

/// <summary>The untyped face of a source operator, for the task's default action.</summary>
internal interface ISourceOperator
{
    SourceStatus Poll(int maxRecords);
}

/// <summary>
/// Runs a <see cref="SourceFunction{T, TSplit}"/>: its splits are the operator list state
/// <c>source-splits</c>, captured in the synchronous part of every checkpoint.
/// </summary>
internal sealed class SourceOperator<T, TSplit>(SourceFunction<T, TSplit> template) : StreamOperator, ISourceOperator, ISourceOutput<T>, Graph.IHasOutput<T>, Tasks.ISourceMetrics
{
    private const string SplitState = "source-splits";
    private readonly SourceFunction<T, TSplit> _function = template.CreateInstance();
    private IOperatorListState<TSplit>? _splits;
    private IOutput<T>? _output;

    public IOutput<T> Output => _output ?? throw new InvalidOperationException("The source has no output yet.");

    public long RecordsOut { get; private set; }

    public void SetOutput(IOutput<T> output) => _output = output;

    public override void Open()
    {
        _splits = Context.OperatorState.GetListState<TSplit>(SplitState);
        var splits = Context.IsRestored
            ? _splits.Get().ToArray()
            : _function.CreateSplits(Context.SubtaskIndex, Context.Parallelism).ToArray();
        _function.Open(splits, new SourceContext(Context.SubtaskIndex, Context.Parallelism, Context.Clock));
    }

    public SourceStatus Poll(int maxRecords) => _function.Poll(this, maxRecords);

    public void Collect(T value)
    {
        RecordsOut++;
        Output.Collect(value, Elements.RecordBatch.NoTimestamp);
    }

    public void Collect(T value, long timestamp)
    {
        RecordsOut++;
        Output.Collect(value, timestamp);
    }

    public override void SnapshotState(long checkpointId) => _splits!.Update(_function.SnapshotSplits());

    public override void NotifyCheckpointComplete(long checkpointId) => _function.NotifyCheckpointComplete(checkpointId);

    public override void Close() => _function.Close();
}
