using Weir.Streaming.Functions;
using Weir.Streaming.Operators;

namespace Weir.Streaming.Api;

/// <summary>A stream partitioned by key (Flink's KeyedStream): operators on it have keyed state.</summary>
public sealed class KeyedStream<TKey, T> : DataStream<T>
    where TKey : notnull
{
    internal KeyedStream(StreamExecutionEnvironment environment, IReadOnlyList<Producer> producers, Func<T, TKey> keySelector)
        : base(environment, producers) => KeySelector = keySelector;

    internal Func<T, TKey> KeySelector { get; }

    /// <summary>Starts an interval join with another stream keyed the same way.</summary>
    public IntervalJoin<TKey, T, TOther> IntervalJoin<TOther>(KeyedStream<TKey, TOther> other) => new(this, other);

    /// <summary>Cuts the keyed stream into windows.</summary>
    public Windowing.WindowedStream<TKey, T> Window(Windowing.WindowAssigner assigner)
    {
        ArgumentNullException.ThrowIfNull(assigner);
        return new Windowing.WindowedStream<TKey, T>(this, assigner);
    }

    /// <summary>Runs a keyed process function with keyed state.</summary>
    public DataStream<TOut> Process<TOut>(KeyedProcessFunction<TKey, T, TOut> function, string name = "Keyed Process")
    {
        ArgumentNullException.ThrowIfNull(function);
        var keySelector = KeySelector;
        return Then<TOut>(name, () => new KeyedProcessOperator<TKey, T, TOut>(keySelector, function), Graph.OperatorRole.Keyed);
    }

    /// <summary>A running reduce: after every record, emits the reduction of all records of its key so far.</summary>
    public DataStream<T> Reduce(Func<T, T, T> reduce, string name = "Reduce")
    {
        ArgumentNullException.ThrowIfNull(reduce);
        var keySelector = KeySelector;
        return Then<T>(name, () => new KeyedReduceOperator<TKey, T>(keySelector, reduce), Graph.OperatorRole.Keyed);
    }

    /// <summary>A running aggregate: after every record, emits the aggregate of all records of its key so far.</summary>
    public DataStream<TOut> Aggregate<TAcc, TOut>(IAggregateFunction<T, TAcc, TOut> function, string name = "Aggregate")
    {
        ArgumentNullException.ThrowIfNull(function);
        var keySelector = KeySelector;
        return Then<TOut>(name, () => new KeyedAggregateOperator<TKey, T, TAcc, TOut>(keySelector, function), Graph.OperatorRole.Keyed);
    }
}
