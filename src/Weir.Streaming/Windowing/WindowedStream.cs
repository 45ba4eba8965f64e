using Weir.Streaming.Api;
using Weir.Streaming.Functions;

namespace Weir.Streaming.Windowing;

/// <summary>A keyed stream cut into windows (Flink's WindowedStream): configure lateness, then reduce, aggregate or process each window.</summary>
public sealed class WindowedStream<TKey, T>
    where TKey : notnull
{
    private readonly KeyedStream<TKey, T> _input;
    private readonly WindowAssigner _assigner;
    private long _allowedLateness;
    private OutputTag<T>? _lateTag;

    internal WindowedStream(KeyedStream<TKey, T> input, WindowAssigner assigner)
    {
        _input = input;
        _assigner = assigner;
    }

    /// <summary>Keeps windows for <paramref name="lateness"/> after their end, so records up to that late still update them (event time only).</summary>
    public WindowedStream<TKey, T> AllowedLateness(TimeSpan lateness)
    {
        if (lateness < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lateness), lateness, "Allowed lateness must not be negative.");
        }

        if (!_assigner.IsEventTime && lateness > TimeSpan.Zero)
        {
            throw new ArgumentException("Allowed lateness applies to event-time windows only.", nameof(lateness));
        }

        _allowedLateness = (long)lateness.TotalMilliseconds;
        return this;
    }

    /// <summary>Sends records too late for every window to side output <paramref name="tag"/> (read it with GetSideOutput on the result).</summary>
    public WindowedStream<TKey, T> SideOutputLateData(OutputTag<T> tag)
    {
        _lateTag = tag;
        return this;
    }

    /// <summary>Reduces each window's records incrementally; emits the reduction when the window fires.</summary>
    public DataStream<T> Reduce(Func<T, T, T> reduce, string name = "Window Reduce") =>
        Build(name, new ReduceContents<TKey, T, T>(reduce, null));

    /// <summary>Reduces incrementally, then passes the reduction to a window function with the window's metadata.</summary>
    public DataStream<TOut> Reduce<TOut>(Func<T, T, T> reduce, ProcessWindowFunction<T, TOut, TKey> window, string name = "Window Reduce") =>
        Build(name, new ReduceContents<TKey, T, TOut>(reduce, window));

    /// <summary>Aggregates each window's records incrementally; emits the result when the window fires.</summary>
    public DataStream<TResult> Aggregate<TAcc, TResult>(IAggregateFunction<T, TAcc, TResult> aggregate, string name = "Window Aggregate") =>
        Build(name, new AggregateContents<TKey, T, TAcc, TResult, TResult>(aggregate, null));

    /// <summary>Aggregates incrementally, then passes the result to a window function with the window's metadata.</summary>
    public DataStream<TOut> Aggregate<TAcc, TResult, TOut>(IAggregateFunction<T, TAcc, TResult> aggregate, ProcessWindowFunction<TResult, TOut, TKey> window, string name = "Window Aggregate") =>
        Build(name, new AggregateContents<TKey, T, TAcc, TResult, TOut>(aggregate, window));

    /// <summary>Keeps every record of a window and processes them together when it fires.</summary>
    public DataStream<TOut> Process<TOut>(ProcessWindowFunction<T, TOut, TKey> window, string name = "Window Process") =>
        Build(name, new BufferContents<TKey, T, TOut>(window));

    private DataStream<TOut> Build<TAcc, TOut>(string name, WindowContents<TKey, T, TAcc, TOut> contents)
    {
        var (keySelector, assigner, lateness, lateTag) = (_input.KeySelector, _assigner, _allowedLateness, _lateTag);
        if (PanedWindowOperator<TKey, T, TAcc, TOut>.Applies(assigner, contents, lateness))
        {
            var sliding = (SlidingEventTimeWindows)assigner;
            return _input.Then<TOut>(name, () => new PanedWindowOperator<TKey, T, TAcc, TOut>(keySelector, sliding.Size, sliding.Slide, sliding.Offset, contents, lateTag), Graph.OperatorRole.Keyed);
        }

        return _input.Then<TOut>(name, () => new WindowOperator<TKey, T, TAcc, TOut>(keySelector, assigner, contents, lateness, lateTag), Graph.OperatorRole.Keyed);
    }
}
