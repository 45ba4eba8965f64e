using Weir.Streaming.Functions;
using Weir.Streaming.Graph;
using Weir.Streaming.Operators;
using Weir.Streaming.Sources;

namespace Weir.Streaming.Api;

/// <summary>
/// Where a job is described (Flink's StreamExecutionEnvironment): add sources, transform the
/// streams, add sinks, then <see cref="Build"/> a validated <see cref="JobGraph"/> to submit to a silo.
/// </summary>
public sealed class StreamExecutionEnvironment
{
    private readonly List<Transformation> _transformations = [];

    private StreamExecutionEnvironment(int defaultParallelism, int maxParallelism, bool operatorChaining)
    {
        DefaultParallelism = defaultParallelism;
        MaxParallelism = maxParallelism;
        OperatorChaining = operatorChaining;
    }

    /// <summary>The parallelism of operators that set none (<c>parallelism.default</c>).</summary>
    public int DefaultParallelism { get; set; }

    /// <summary>Key groups of keyed state (<c>pipeline.max-parallelism</c>, default 128).</summary>
    public int MaxParallelism { get; set; }

    /// <summary>Whether forward-connected operators of equal parallelism run in one subtask (<c>pipeline.operator-chaining.enabled</c>).</summary>
    public bool OperatorChaining { get; set; }

    /// <summary>How often watermark generators are asked for a watermark (<c>pipeline.auto-watermark-interval</c>, default 200 ms).</summary>
    public TimeSpan AutoWatermarkInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Creates an environment.</summary>
    public static StreamExecutionEnvironment Create(int defaultParallelism = 1, int maxParallelism = 128, bool operatorChaining = true) =>
        new(defaultParallelism, maxParallelism, operatorChaining);

    /// <summary>
    /// Adds a source. With <paramref name="watermarks"/>, records get their event time and
    /// watermarks are generated per split inside the source (a lagging or idle split does not
    /// make other splits' records late), every <see cref="AutoWatermarkInterval"/>.
    /// </summary>
    public DataStream<T> AddSource<T, TSplit>(SourceFunction<T, TSplit> source, string name, Watermarks.WatermarkStrategy<T>? watermarks = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var interval = watermarks is null ? AutoWatermarkInterval : WatermarkInterval(nameof(watermarks));
        var transformation = Add<T>($"Source: {name}", () => new SourceOperator<T, TSplit>(source, watermarks, interval), OperatorRole.Source, []);
        return new DataStream<T>(this, [new Producer(transformation, null)]);
    }

    /// <summary>A bounded source over a collection (replayable: its position is checkpointed). One subtask unless set otherwise.</summary>
    public DataStream<T> FromCollection<T>(IEnumerable<T> items, string name = "collection", Watermarks.WatermarkStrategy<T>? watermarks = null) =>
        AddSource(new CollectionSource<T>(items), name, watermarks).SetParallelism(1);

    /// <summary>Builds and validates the job graph.</summary>
    /// <exception cref="JobGraphException">The graph cannot run; the message names the operator and the rule.</exception>
    public JobGraph Build(string jobName) => JobGraphBuilder.Build(jobName, _transformations, DefaultParallelism, MaxParallelism, OperatorChaining);

    internal OperatorTransformation<TOut> Add<TOut>(string name, Func<StreamOperator> factory, OperatorRole role, IEnumerable<InputEdge> inputs)
    {
        var transformation = new OperatorTransformation<TOut>(_transformations.Count, name, factory, role);
        transformation.Inputs.AddRange(inputs);
        _transformations.Add(transformation);
        return transformation;
    }

    /// <summary>The <see cref="AutoWatermarkInterval"/> a watermark generator is asked at; it must be positive.</summary>
    internal TimeSpan WatermarkInterval(string paramName) =>
        AutoWatermarkInterval > TimeSpan.Zero
            ? AutoWatermarkInterval
            : throw new ArgumentOutOfRangeException(paramName, AutoWatermarkInterval, "pipeline.auto-watermark-interval must be positive to generate watermarks.");

    /// <summary>Adds an edge outside the fluent API (tests of graph validation).</summary>
    internal static void Connect(Transformation from, Transformation to) => to.Inputs.Add(new InputEdge(from, null, 0, null, null));

    internal IReadOnlyList<Transformation> Transformations => _transformations;
}

/// <summary>One upstream of a stream: a transformation, and the partitioning chosen for the edge out of it (null: default).</summary>
internal sealed record Producer(Transformation Transformation, Output.Partitioning? Partitioning, object? KeyGroupSelectorFactory = null, Windowing.OutputTag? Tag = null);
