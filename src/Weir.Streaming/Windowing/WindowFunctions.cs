using Weir.Streaming.Functions;

namespace Weir.Streaming.Windowing;

/// <summary>Processes all records of a window (or its pre-aggregated result) when it fires (Flink's ProcessWindowFunction).</summary>
public abstract class ProcessWindowFunction<TIn, TOut, TKey>
{
    /// <summary>Called when <paramref name="context"/>'s window fires for <paramref name="key"/>.</summary>
    public abstract void Process(TKey key, WindowContext context, IEnumerable<TIn> elements, ICollector<TOut> output);
}

/// <summary>A <see cref="ProcessWindowFunction{TIn, TOut, TKey}"/> from a delegate.</summary>
public sealed class ProcessWindowFunctionAdapter<TIn, TOut, TKey>(Action<TKey, WindowContext, IEnumerable<TIn>, ICollector<TOut>> process) : ProcessWindowFunction<TIn, TOut, TKey>
{
    /// <inheritdoc />
    public override void Process(TKey key, WindowContext context, IEnumerable<TIn> elements, ICollector<TOut> output) => process(key, context, elements, output);
}

/// <summary>The window that fired and the operator's clocks.</summary>
public sealed class WindowContext
{
    internal WindowContext()
    {
    }

    /// <summary>The window.</summary>
    public TimeWindow Window { get; internal set; }

    /// <summary>The operator's watermark.</summary>
    public long CurrentWatermark { get; internal set; }

    /// <summary>The clock, in epoch milliseconds.</summary>
    public long CurrentProcessingTime { get; internal set; }
}
