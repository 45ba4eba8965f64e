using Weir.Streaming.Elements;
using Weir.Streaming.Functions;
using Weir.Streaming.State;
using Weir.Streaming.Timers;

namespace Weir.Streaming.Operators;

/// <summary>An operator on a keyed stream: sets the current key of its state backend before each record.</summary>
internal abstract class KeyedOneInputOperator<TKey, TIn, TOut>(Func<TIn, TKey> keySelector) : OneInputStreamOperator<TIn, TOut>
    where TKey : notnull
{
    private HeapKeyedStateBackend<TKey>? _backend;
    private InternalTimerService<TKey>? _timers;

    protected HeapKeyedStateBackend<TKey> Backend => _backend ?? throw new InvalidOperationException("The keyed state backend is created before Open.");

    /// <summary>The operator's timers; created (and restored) by operators that use them, in Open.</summary>
    protected InternalTimerService<TKey> Timers => _timers ??= new InternalTimerService<TKey>(Backend, Context.Services, OnTimer, EventTimerStore());

    /// <summary>Where the operator's event-time timers are kept; null (the default): a state table of their own.</summary>
    protected virtual ITimerStore<TKey>? EventTimerStore() => null;

    /// <summary>A timer fired; the current key is the timer's.</summary>
    protected virtual void OnTimer(long timestamp, TimeDomain domain)
    {
    }

    /// <summary>Fires event-time timers up to the watermark, then passes the watermark on.</summary>
    public override void ProcessWatermark(Watermark watermark)
    {
        _timers?.AdvanceWatermark(watermark.Timestamp);
        Output.EmitWatermark(watermark);
    }

    public override IKeyedStateBackend? KeyedStateBackend => _backend;

    public override void CreateKeyedStateBackend() => _backend = new HeapKeyedStateBackend<TKey>(Context.KeyGroupRange, Context.MaxParallelism);

    public sealed override void ProcessElement(TIn record, long timestamp)
    {
        Backend.SetCurrentKey(keySelector(record));
        ProcessKeyed(record, timestamp);
    }

    protected abstract void ProcessKeyed(TIn record, long timestamp);
}

/// <summary>A running reduce: emits the reduced value of the record's key after every record.</summary>
internal sealed class KeyedReduceOperator<TKey, T>(Func<T, TKey> keySelector, Func<T, T, T> reduce) : KeyedOneInputOperator<TKey, T, T>(keySelector)
    where TKey : notnull
{
    private StateTable<TKey, T>? _values;

    public override void Open() => _values = Backend.Table<T>("reduce", copyValue: null);

    protected override void ProcessKeyed(T record, long timestamp)
    {
        var index = Backend.CurrentKeyGroupIndex;
        var key = Backend.CurrentKey;
        var reduced = _values!.TryGet(index, key, out var current) ? reduce(current, record) : record;
        _values.Put(index, key, reduced);
        Output.Collect(reduced, timestamp);
    }
}

/// <summary>A running aggregate: emits the aggregate's result for the record's key after every record.</summary>
internal sealed class KeyedAggregateOperator<TKey, TIn, TAcc, TOut>(Func<TIn, TKey> keySelector, IAggregateFunction<TIn, TAcc, TOut> function)
    : KeyedOneInputOperator<TKey, TIn, TOut>(keySelector)
    where TKey : notnull
{
    private StateTable<TKey, TAcc>? _accumulators;

    public override void Open() => _accumulators = Backend.Table<TAcc>("aggregate", copyValue: null);

    protected override void ProcessKeyed(TIn record, long timestamp)
    {
        var index = Backend.CurrentKeyGroupIndex;
        var key = Backend.CurrentKey;
        var acc = _accumulators!.TryGet(index, key, out var current) ? current : function.CreateAccumulator();
        acc = function.Add(record, acc);
        _accumulators.Put(index, key, acc);
        Output.Collect(function.GetResult(acc), timestamp);
    }
}

/// <summary>Runs a user <see cref="KeyedProcessFunction{TKey, TIn, TOut}"/>.</summary>
internal sealed class KeyedProcessOperator<TKey, TIn, TOut>(Func<TIn, TKey> keySelector, KeyedProcessFunction<TKey, TIn, TOut> template)
    : KeyedOneInputOperator<TKey, TIn, TOut>(keySelector)
    where TKey : notnull
{
    private readonly KeyedProcessFunction<TKey, TIn, TOut> function = template.CreateInstance();

    private TimestampedCollector<TOut>? _collector;
    private KeyedProcessFunction<TKey, TIn, TOut>.Context? _context;

    public override void Open()
    {
        _collector = new TimestampedCollector<TOut>(Output);
        _context = new KeyedProcessFunction<TKey, TIn, TOut>.Context(Backend, Timers);
        function.Open(new KeyedRuntimeContext<TKey>(Backend, Context));
    }

    protected override void ProcessKeyed(TIn record, long timestamp)
    {
        _collector!.Timestamp = timestamp;
        _context!.RawTimestamp = timestamp;
        _context.Domain = null;
        function.ProcessElement(record, _context, _collector);
    }

    protected override void OnTimer(long timestamp, TimeDomain domain)
    {
        // Results of an event-time timer carry the timer's time (Flink's convention).
        _collector!.Timestamp = domain == TimeDomain.EventTime ? timestamp : RecordBatch.NoTimestamp;
        _context!.RawTimestamp = _collector.Timestamp;
        _context.Domain = domain;
        function.OnTimer(timestamp, _context, _collector);
    }

    public override void SnapshotState(long checkpointId) => function.SnapshotState(checkpointId);

    public override void Close() => function.Close();
}
