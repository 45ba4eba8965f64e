using Weir.Streaming.Elements;
using Weir.Streaming.Operators;
using Weir.Streaming.State;
using Weir.Streaming.Timers;

namespace Weir.Streaming.Functions;

/// <summary>
/// User logic on a keyed stream with keyed state (Flink's KeyedProcessFunction). Register state
/// in <see cref="Open"/>; in <see cref="ProcessElement"/> the state is scoped to the key of the
/// record. State is checkpointed and restored with the job.
/// </summary>
public abstract class KeyedProcessFunction<TKey, TIn, TOut>
    where TKey : notnull
{
    /// <summary>Called once per subtask before the first record: register state here.</summary>
    public virtual void Open(IKeyedRuntimeContext context)
    {
    }

    /// <summary>Called for every record.</summary>
    public abstract void ProcessElement(TIn value, Context context, ICollector<TOut> output);

    /// <summary>A timer registered through <see cref="Context.TimerService"/> fired; the context's key is the timer's.</summary>
    public virtual void OnTimer(long timestamp, Context context, ICollector<TOut> output)
    {
    }

    /// <summary>Called in the synchronous part of checkpoint <paramref name="checkpointId"/>, after the barrier went downstream (Flink's CheckpointedFunction.snapshotState).</summary>
    public virtual void SnapshotState(long checkpointId)
    {
    }

    /// <summary>Called once when the subtask stops.</summary>
    public virtual void Close()
    {
    }

    /// <summary>
    /// The instance one subtask runs: a shallow copy of the function given to the job, so fields
    /// set in <see cref="Open"/> are per subtask while configuration set in the constructor is shared.
    /// </summary>
    internal KeyedProcessFunction<TKey, TIn, TOut> CreateInstance() => (KeyedProcessFunction<TKey, TIn, TOut>)MemberwiseClone();
    /// <summary>The key and timestamp of the record (or timer) being processed, and the timers.</summary>
    public sealed class Context
    {
        private readonly HeapKeyedStateBackend<TKey> _backend;

        internal Context(HeapKeyedStateBackend<TKey> backend, ITimerService timers)
        {
            _backend = backend;
            TimerService = timers;
        }

        /// <summary>The key of the record or timer being processed.</summary>
        public TKey CurrentKey => _backend.CurrentKey;

        /// <summary>Event-time and processing-time timers of the current key.</summary>
        public ITimerService TimerService { get; }

        /// <summary>In <c>OnTimer</c>: which clock fired; null while processing a record.</summary>
        public TimeDomain? Domain { get; internal set; }

        /// <summary>The record's event timestamp, or null.</summary>
        public long? Timestamp => RawTimestamp == RecordBatch.NoTimestamp ? null : RawTimestamp;

        internal long RawTimestamp { get; set; } = RecordBatch.NoTimestamp;
    }
}

/// <summary>Registers keyed state and tells where the function runs.</summary>
public interface IKeyedRuntimeContext
{
    /// <summary>This subtask's index.</summary>
    int SubtaskIndex { get; }

    /// <summary>The operator's parallelism.</summary>
    int Parallelism { get; }

    /// <summary>True if the operator starts from a checkpoint holding its state.</summary>
    bool IsRestored { get; }

    /// <summary>A value per key.</summary>
    IValueState<T> GetState<T>(ValueStateDescriptor<T> descriptor);

    /// <summary>A list per key.</summary>
    IListState<T> GetListState<T>(ListStateDescriptor<T> descriptor);

    /// <summary>A map per key.</summary>
    IMapState<TMapKey, TMapValue> GetMapState<TMapKey, TMapValue>(MapStateDescriptor<TMapKey, TMapValue> descriptor)
        where TMapKey : notnull;

    /// <summary>A reducing value per key.</summary>
    IReducingState<T> GetReducingState<T>(ReducingStateDescriptor<T> descriptor);

    /// <summary>An aggregating value per key.</summary>
    IAggregatingState<TIn, TOut> GetAggregatingState<TIn, TAcc, TOut>(AggregatingStateDescriptor<TIn, TAcc, TOut> descriptor);
}

internal sealed class KeyedRuntimeContext<TKey>(HeapKeyedStateBackend<TKey> backend, OperatorContext operatorContext) : IKeyedRuntimeContext
    where TKey : notnull
{
    public int SubtaskIndex => operatorContext.SubtaskIndex;

    public int Parallelism => operatorContext.Parallelism;

    public bool IsRestored => operatorContext.IsRestored;

    public IValueState<T> GetState<T>(ValueStateDescriptor<T> descriptor) => backend.GetValueState(descriptor);

    public IListState<T> GetListState<T>(ListStateDescriptor<T> descriptor) => backend.GetListState(descriptor);

    public IMapState<TMapKey, TMapValue> GetMapState<TMapKey, TMapValue>(MapStateDescriptor<TMapKey, TMapValue> descriptor)
        where TMapKey : notnull => backend.GetMapState(descriptor);

    public IReducingState<T> GetReducingState<T>(ReducingStateDescriptor<T> descriptor) => backend.GetReducingState(descriptor);

    public IAggregatingState<TIn, TOut> GetAggregatingState<TIn, TAcc, TOut>(AggregatingStateDescriptor<TIn, TAcc, TOut> descriptor) =>
        backend.GetAggregatingState(descriptor);
}
