using Weir.Streaming.Elements;
using Weir.Streaming.Functions;

namespace Weir.Streaming.Operators;

/// <summary>Where an operator emits: the next operator of its chain, or the channels to the next task.</summary>
internal interface IOutput<in T>
{
    void Collect(T record, long timestamp);

    void EmitWatermark(Watermark watermark);

    /// <summary>Tells downstream whether this stream is idle (idle streams do not hold back the watermark).</summary>
    void EmitStatus(WatermarkStatus status);
}

/// <summary>Adapts an operator's output to a user function's collector, stamping the current timestamp.</summary>
internal sealed class TimestampedCollector<T>(IOutput<T> output) : ICollector<T>
{
    public long Timestamp { get; set; } = RecordBatch.NoTimestamp;

    public void Collect(T value) => output.Collect(value, Timestamp);
}

/// <summary>Passes records straight into the next operator of the chain: no batching, no copying.</summary>
internal sealed class ChainedOutput<T>(IInput<T> next) : IOutput<T>
{
    public void Collect(T record, long timestamp) => next.ProcessElement(record, timestamp);

    public void EmitWatermark(Watermark watermark) => next.ProcessWatermark(watermark);

    public void EmitStatus(WatermarkStatus status) => next.ProcessWatermarkStatus(status);
}

/// <summary>Sends every record to several outputs (an operator with several downstream edges).</summary>
internal sealed class BroadcastingOutput<T>(IOutput<T>[] outputs) : IOutput<T>
{
    public void Collect(T record, long timestamp)
    {
        foreach (var output in outputs)
        {
            output.Collect(record, timestamp);
        }
    }

    public void EmitWatermark(Watermark watermark)
    {
        foreach (var output in outputs)
        {
            output.EmitWatermark(watermark);
        }
    }

    public void EmitStatus(WatermarkStatus status)
    {
        foreach (var output in outputs)
        {
            output.EmitStatus(status);
        }
    }
}

/// <summary>The end of a chain with no downstream: records are dropped (sinks have none).</summary>
internal sealed class DiscardingOutput<T> : IOutput<T>
{
    public static readonly DiscardingOutput<T> Instance = new();

    public void Collect(T record, long timestamp)
    {
    }

    public void EmitWatermark(Watermark watermark)
    {
    }

    public void EmitStatus(WatermarkStatus status)
    {
    }
}

/// <summary>An operator's typed input.</summary>
internal interface IInput<in T>
{
    void ProcessElement(T record, long timestamp);

    void ProcessWatermark(Watermark watermark);

    void ProcessWatermarkStatus(WatermarkStatus status);
}
