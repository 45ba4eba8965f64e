using Weir.Streaming.Functions;
using Weir.Streaming.Graph;
using Weir.Streaming.Operators;
using Weir.Streaming.Output;
using Weir.Streaming.Sinks;

namespace Weir.Streaming.Api;

/// <summary>
/// A stream of records of <typeparamref name="T"/> (Flink's DataStream). Transformations return
/// new streams; <see cref="Name"/>, <see cref="Uid"/>, <see cref="SetParallelism"/> and
/// <see cref="DisableChaining"/> configure the operator that produces this stream.
/// </summary>
public class DataStream<T>
{
    internal DataStream(StreamExecutionEnvironment environment, IReadOnlyList<Producer> producers)
    {
        Environment = environment;
        Producers = producers;
    }

    internal StreamExecutionEnvironment Environment { get; }

    internal IReadOnlyList<Producer> Producers { get; }

    /// <summary>Applies a function to every record.</summary>
    public DataStream<TOut> Map<TOut>(Func<T, TOut> map, string name = "Map") =>
        Then<TOut>(name, () => new MapOperator<T, TOut>(map), OperatorRole.Plain);

    /// <summary>Keeps the records for which <paramref name="predicate"/> holds.</summary>
    public DataStream<T> Filter(Func<T, bool> predicate, string name = "Filter") =>
        Then<T>(name, () => new FilterOperator<T>(predicate), OperatorRole.Plain);

    /// <summary>Emits zero or more records per record.</summary>
    public DataStream<TOut> FlatMap<TOut>(Action<T, ICollector<TOut>> flatMap, string name = "Flat Map") =>
        Then<TOut>(name, () => new FlatMapOperator<T, TOut>(flatMap), OperatorRole.Plain);

    /// <summary>Emits the records a function returns for each record.</summary>
    public DataStream<TOut> FlatMap<TOut>(Func<T, IEnumerable<TOut>> flatMap, string name = "Flat Map") =>
        FlatMap<TOut>(
            (record, output) =>
            {
                foreach (var item in flatMap(record))
                {
                    output.Collect(item);
                }
            },
            name);

    /// <summary>Assigns event timestamps and generates watermarks (Flink's assignTimestampsAndWatermarks).</summary>
    public DataStream<T> AssignTimestampsAndWatermarks(Watermarks.WatermarkStrategy<T> strategy, string name = "Timestamps/Watermarks")
    {
        ArgumentNullException.ThrowIfNull(strategy);
        var interval = Environment.WatermarkInterval(nameof(strategy));
        return Then<T>(name, () => new Watermarks.TimestampsAndWatermarksOperator<T>(strategy, interval), OperatorRole.Plain);
    }

    /// <summary>Partitions the stream by key: records with equal keys go to the same subtask, whose keyed state they share.</summary>
    public KeyedStream<TKey, T> KeyBy<TKey>(Func<T, TKey> keySelector)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(keySelector);
        return new KeyedStream<TKey, T>(Environment, Producers.Select(p => p with { Partitioning = Partitioning.Hash, KeyGroupSelectorFactory = KeyGroupSelectors.For(keySelector) }).ToArray(), keySelector);
    }

    /// <summary>The records the producing operator sent to side output <paramref name="tag"/> (e.g. a window's late records).</summary>
    public DataStream<TSide> GetSideOutput<TSide>(Windowing.OutputTag<TSide> tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        return new DataStream<TSide>(Environment, [new Producer(Single(nameof(GetSideOutput)), null, null, tag)]);
    }

    /// <summary>Starts a windowed join with <paramref name="other"/>.</summary>
    public JoinedStreams<T, TOther> Join<TOther>(DataStream<TOther> other) => new(this, other);

    /// <summary>Merges streams of the same type.</summary>
    public DataStream<T> Union(params DataStream<T>[] others) =>
        new(Environment, [.. Producers, .. others.SelectMany(o => o.Producers)]);

    /// <summary>Distributes records round-robin over the next operator's subtasks.</summary>
    public DataStream<T> Rebalance() => WithPartitioning(Partitioning.Rebalance);

    /// <summary>Sends every record to every subtask of the next operator.</summary>
    public DataStream<T> Broadcast() => WithPartitioning(Partitioning.Broadcast);

    /// <summary>Sends subtask i's records to subtask i of the next operator (equal parallelism).</summary>
    public DataStream<T> Forward() => WithPartitioning(Partitioning.Forward);

    /// <summary>Ends the stream in a sink.</summary>
    public DataStreamSink<T> AddSink(SinkFunction<T> sink, string name = "Sink")
    {
        ArgumentNullException.ThrowIfNull(sink);
        var transformation = Environment.Add<T>($"Sink: {name}", () => new SinkOperator<T>(sink), OperatorRole.Sink, Inputs());
        return new DataStreamSink<T>(transformation);
    }

    /// <summary>Prints every record to standard output.</summary>
    public DataStreamSink<T> Print(string name = "Print") => AddSink(new ConsoleSink<T>(), name);

    /// <summary>Names the operator producing this stream.</summary>
    public DataStream<T> Name(string name)
    {
        Single(nameof(Name)).Name = name;
        return this;
    }

    /// <summary>Sets the stable id matching the operator's state in checkpoints (set it on every stateful operator).</summary>
    public DataStream<T> Uid(string uid)
    {
        Single(nameof(Uid)).Uid = uid;
        return this;
    }

    /// <summary>Sets the producing operator's parallelism.</summary>
    public DataStream<T> SetParallelism(int parallelism)
    {
        Single(nameof(SetParallelism)).Parallelism = parallelism;
        return this;
    }

    /// <summary>Keeps the producing operator out of its upstream's chain.</summary>
    public DataStream<T> DisableChaining()
    {
        Single(nameof(DisableChaining)).ChainingAllowed = false;
        return this;
    }

    internal DataStream<TOut> Then<TOut>(string name, Func<StreamOperator> factory, OperatorRole role) =>
        new(Environment, [new Producer(Environment.Add<TOut>(name, factory, role, Inputs()), null)]);

    internal IEnumerable<InputEdge> Inputs(int inputIndex = 0) =>
        Producers.Select(p => new InputEdge(p.Transformation, p.Partitioning, inputIndex, p.KeyGroupSelectorFactory, p.Tag)).ToArray();

    private DataStream<T> WithPartitioning(Partitioning partitioning) =>
        new(Environment, Producers.Select(p => p with { Partitioning = partitioning, KeyGroupSelectorFactory = null }).ToArray());

    private Transformation Single(string what) => Producers is [{ Tag: null } only]
        ? only.Transformation
        : throw new InvalidOperationException($"{what} applies to the operator producing a stream, but this stream is a union of {Producers.Count} streams.");
}

/// <summary>The end of a stream in a sink; configures the sink operator.</summary>
public sealed class DataStreamSink<T>
{
    private readonly Transformation _transformation;

    internal DataStreamSink(Transformation transformation) => _transformation = transformation;

    /// <summary>Names the sink.</summary>
    public DataStreamSink<T> Name(string name)
    {
        _transformation.Name = name;
        return this;
    }

    /// <summary>Sets the sink's uid.</summary>
    public DataStreamSink<T> Uid(string uid)
    {
        _transformation.Uid = uid;
        return this;
    }

    /// <summary>Sets the sink's parallelism.</summary>
    public DataStreamSink<T> SetParallelism(int parallelism)
    {
        _transformation.Parallelism = parallelism;
        return this;
    }

    /// <summary>Keeps the sink out of its upstream's chain.</summary>
    public DataStreamSink<T> DisableChaining()
    {
        _transformation.ChainingAllowed = false;
        return this;
    }
}
