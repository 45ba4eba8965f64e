namespace Weir.Streaming.Functions;

/// <summary>An incremental aggregation (Flink's AggregateFunction): fold inputs into an accumulator, read a result from it.</summary>
public interface IAggregateFunction<in TIn, TAcc, out TOut>
{
    /// <summary>A new, empty accumulator.</summary>
    TAcc CreateAccumulator();

    /// <summary>
    /// Adds one input; returns the accumulator, a new one or <paramref name="accumulator"/> changed in
    /// place (an accumulator a checkpoint may still be writing is copied before it is handed here).
    /// </summary>
    TAcc Add(TIn value, TAcc accumulator);

    /// <summary>The result for an accumulator.</summary>
    TOut GetResult(TAcc accumulator);

    /// <summary>Merges two accumulators (session windows merge).</summary>
    TAcc Merge(TAcc a, TAcc b);
}

/// <summary>An <see cref="IAggregateFunction{TIn, TAcc, TOut}"/> from delegates.</summary>
public sealed class AggregateFunction<TIn, TAcc, TOut>(
    Func<TAcc> create,
    Func<TIn, TAcc, TAcc> add,
    Func<TAcc, TOut> result,
    Func<TAcc, TAcc, TAcc>? merge = null) : IAggregateFunction<TIn, TAcc, TOut>
{
    /// <inheritdoc />
    public TAcc CreateAccumulator() => create();

    /// <inheritdoc />
    public TAcc Add(TIn value, TAcc accumulator) => add(value, accumulator);

    /// <inheritdoc />
    public TOut GetResult(TAcc accumulator) => result(accumulator);

    /// <summary>True if a merge delegate was given.</summary>
    internal bool CanMerge => merge is not null;

    /// <inheritdoc />
    public TAcc Merge(TAcc a, TAcc b) => merge is null
        ? throw new NotSupportedException("This aggregate function cannot merge accumulators: pass a merge delegate to use it with session windows.")
        : merge(a, b);
}
