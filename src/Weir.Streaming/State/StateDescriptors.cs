using Weir.Streaming.Functions;

namespace Weir.Streaming.State;

/// <summary>Names a piece of keyed state and its type. The name identifies the state in checkpoints.</summary>
public abstract class StateDescriptor(string name)
{
    /// <summary>The state's name, unique within its operator.</summary>
    public string Name { get; } = !string.IsNullOrWhiteSpace(name) ? name : throw new ArgumentException("A state name must not be empty.", nameof(name));
}

/// <summary>A single value per key.</summary>
public sealed class ValueStateDescriptor<T>(string name, T? defaultValue = default) : StateDescriptor(name)
{
    /// <summary>What <see cref="IValueState{T}.Value"/> returns for a key without a value.</summary>
    public T? DefaultValue { get; } = defaultValue;
}

/// <summary>A list per key.</summary>
public sealed class ListStateDescriptor<T>(string name) : StateDescriptor(name);

/// <summary>A map per key.</summary>
public sealed class MapStateDescriptor<TKey, TValue>(string name) : StateDescriptor(name)
    where TKey : notnull;

/// <summary>A value per key that every added value is reduced into.</summary>
public sealed class ReducingStateDescriptor<T>(string name, Func<T, T, T> reduce) : StateDescriptor(name)
{
    /// <summary>Combines the current value with an added one.</summary>
    public Func<T, T, T> Reduce { get; } = reduce;
}

/// <summary>An accumulator per key that every added value is aggregated into.</summary>
public sealed class AggregatingStateDescriptor<TIn, TAcc, TOut>(string name, IAggregateFunction<TIn, TAcc, TOut> function) : StateDescriptor(name)
{
    /// <summary>The aggregation.</summary>
    public IAggregateFunction<TIn, TAcc, TOut> Function { get; } = function;
}
