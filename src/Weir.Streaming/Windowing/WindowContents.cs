using Weir.Streaming.Functions;
using Weir.Streaming.State;
using Weir.Streaming.State.Changelog;

namespace Weir.Streaming.Windowing;

/// <summary>
/// What a window keeps and how it emits: a running reduce, an aggregate accumulator, or (for a
/// full-window process function) every record. <see cref="Add"/> may change an accumulator in
/// place (a user's aggregate function may); copy-on-write snapshots copy accumulators that can
/// change (<see cref="CopyAccumulator"/>) before that.
/// </summary>
internal abstract class WindowContents<TKey, TIn, TAcc, TOut>
{
    public abstract TAcc Add(TAcc? accumulator, bool exists, TIn record);

    public abstract TAcc Merge(TAcc a, TAcc b);

    /// <summary>Whether <see cref="Merge"/> of accumulators equals adding all their records to one, in any order (windows may then be computed from panes).</summary>
    public virtual bool MergesAccumulators => false;

    public abstract void Emit(TKey key, WindowContext context, TAcc accumulator, ICollector<TOut> output);

    /// <summary>A deep copy of an accumulator, for copy-on-write; null if accumulators cannot change (<see cref="StateValues{T}"/>).</summary>
    public virtual Func<TAcc, TAcc>? CopyAccumulator => StateValues<TAcc>.Copier;
}

internal sealed class ReduceContents<TKey, T, TOut>(Func<T, T, T> reduce, ProcessWindowFunction<T, TOut, TKey>? window) : WindowContents<TKey, T, T, TOut>
{
    public override T Add(T? accumulator, bool exists, T record) => exists ? reduce(accumulator!, record) : record;

    public override T Merge(T a, T b) => reduce(a, b);

    public override void Emit(TKey key, WindowContext context, T accumulator, ICollector<TOut> output)
    {
        if (window is null)
        {
            ((ICollector<T>)output).Collect(accumulator);
        }
        else
        {
            window.Process(key, context, [accumulator], output);
        }
    }
}

internal sealed class AggregateContents<TKey, TIn, TAcc, TResult, TOut>(IAggregateFunction<TIn, TAcc, TResult> aggregate, ProcessWindowFunction<TResult, TOut, TKey>? window)
    : WindowContents<TKey, TIn, TAcc, TOut>
{
    public override TAcc Add(TAcc? accumulator, bool exists, TIn record) => aggregate.Add(record, exists ? accumulator! : aggregate.CreateAccumulator());

    public override TAcc Merge(TAcc a, TAcc b) => aggregate.Merge(a, b);

    // An aggregate function declares how accumulators merge (Flink's AggregateFunction.merge); the delegate-built one may have none.
    public override bool MergesAccumulators => aggregate is not AggregateFunction<TIn, TAcc, TResult> { CanMerge: false };

    public override void Emit(TKey key, WindowContext context, TAcc accumulator, ICollector<TOut> output)
    {
        var result = aggregate.GetResult(accumulator);
        if (window is null)
        {
            ((ICollector<TResult>)output).Collect(result);
        }
        else
        {
            window.Process(key, context, [result], output);
        }
    }
}

internal sealed class BufferContents<TKey, TIn, TOut>(ProcessWindowFunction<TIn, TOut, TKey> window) : WindowContents<TKey, TIn, List<TIn>, TOut>
{
    public override List<TIn> Add(List<TIn>? accumulator, bool exists, TIn record)
    {
        var buffer = exists ? accumulator! : [];
        buffer.Add(record);
        return buffer;
    }

    public override List<TIn> Merge(List<TIn> a, List<TIn> b) => [.. a, .. b];

    public override void Emit(TKey key, WindowContext context, List<TIn> accumulator, ICollector<TOut> output) => window.Process(key, context, accumulator, output);

    public override Func<List<TIn>, List<TIn>>? CopyAccumulator => ListValueDelta<TIn>.CopyList;
}
