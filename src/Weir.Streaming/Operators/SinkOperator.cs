using Weir.Streaming.Functions;

namespace Weir.Streaming.Operators;

/// <summary>Runs a <see cref="SinkFunction{T}"/>.</summary>
internal sealed class SinkOperator<T>(SinkFunction<T> template) : OneInputStreamOperator<T, T>
{
    private readonly SinkFunction<T> _function = template.CreateInstance();

    public long RecordsIn { get; private set; }

    public override void Open() => _function.Open(new SinkContext(Context.SubtaskIndex, Context.Parallelism, Context.Name, Context.IsRestored, Context.OperatorState));

    public override void ProcessElement(T record, long timestamp)
    {
        RecordsIn++;
        _function.Invoke(record, timestamp == Elements.RecordBatch.NoTimestamp ? null : timestamp);
    }

    public override void ProcessWatermark(Elements.Watermark watermark)
    {
    }

    public override void ProcessWatermarkStatus(Elements.WatermarkStatus status)
    {
    }

    public override void SnapshotState(long checkpointId) => _function.SnapshotState(checkpointId);

    public override void NotifyCheckpointComplete(long checkpointId) => _function.NotifyCheckpointComplete(checkpointId);

    public override void NotifyCheckpointAborted(long checkpointId) => _function.NotifyCheckpointAborted(checkpointId);

    public override void Finish() => _function.Finish();

    public override void Close() => _function.Close();
}
