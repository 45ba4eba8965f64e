namespace Weir.Streaming.Operators;

internal sealed class MapOperator<TIn, TOut>(Func<TIn, TOut> map) : OneInputStreamOperator<TIn, TOut>
{
    public override void ProcessElement(TIn record, long timestamp) => Output.Collect(map(record), timestamp);
}

internal sealed class FilterOperator<T>(Func<T, bool> predicate) : OneInputStreamOperator<T, T>
{
    public override void ProcessElement(T record, long timestamp)
    {
        if (predicate(record))
        {
            Output.Collect(record, timestamp);
        }
    }
}

internal sealed class FlatMapOperator<TIn, TOut>(Action<TIn, Functions.ICollector<TOut>> flatMap) : OneInputStreamOperator<TIn, TOut>
{
    private TimestampedCollector<TOut>? _collector;

    public override void Open() => _collector = new TimestampedCollector<TOut>(Output);

    public override void ProcessElement(TIn record, long timestamp)
    {
        _collector!.Timestamp = timestamp;
        flatMap(record, _collector);
    }
}
