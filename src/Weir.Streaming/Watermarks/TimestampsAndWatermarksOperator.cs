using Weir.Streaming.Elements;
using Weir.Streaming.Operators;

namespace Weir.Streaming.Watermarks;

/// <summary>
/// Stamps records with event time and emits watermarks: the generator sees every record and is
/// asked for a watermark every <c>pipeline.auto-watermark-interval</c> on the task's clock. With
/// idleness, a subtask that saw no record for the timeout tells downstream it is idle (so its
/// channels stop holding the watermark back) until the next record.
/// </summary>
internal sealed class TimestampsAndWatermarksOperator<T>(WatermarkStrategy<T> strategy, TimeSpan interval) : OneInputStreamOperator<T, T>, IWatermarkOutput
{
    private IWatermarkGenerator<T>? _generator;
    private long _lastWatermark = long.MinValue;
    private long _lastRecordAt;
    private bool _idle;
    private bool _closed;

    public override void Open()
    {
        _generator = strategy.CreateGenerator();
        _lastRecordAt = Context.Clock.GetTimestamp();
        Schedule();
    }

    public override void ProcessElement(T record, long timestamp)
    {
        var stamped = strategy.TimestampAssigner is { } assign ? assign(record, timestamp) : timestamp;
        _generator!.OnEvent(record, stamped, this);
        if (strategy.Idleness is not null)
        {
            _lastRecordAt = Context.Clock.GetTimestamp();
            if (_idle)
            {
                _idle = false;
                Output.EmitStatus(WatermarkStatus.Active);
            }
        }

        Output.Collect(record, stamped);
    }

    /// <summary>Watermarks from upstream are replaced by this operator's own, except the final one at end of input.</summary>
    public override void ProcessWatermark(Watermark watermark)
    {
        if (watermark.Timestamp == long.MaxValue)
        {
            EmitWatermark(long.MaxValue);
        }
    }

    public void EmitWatermark(long timestamp)
    {
        if (timestamp <= _lastWatermark)
        {
            return;
        }

        _lastWatermark = timestamp;
        Output.EmitWatermark(new Watermark(timestamp));
    }

    public override void Finish() => _closed = true;

    public override void Close() => _closed = true;

    private void Schedule() => Context.Services.Schedule(interval, OnInterval);

    private void OnInterval()
    {
        if (_closed)
        {
            return;
        }

        _generator!.OnPeriodicEmit(this);
        if (strategy.Idleness is { } idleness && !_idle && Context.Clock.GetElapsedTime(_lastRecordAt) >= idleness)
        {
            _idle = true;
            Output.EmitStatus(WatermarkStatus.Idle);
        }

        Schedule();
    }
}
