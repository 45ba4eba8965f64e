using Weir.Checkpointing.Coordinator;
using Weir.Streaming.Output;

namespace Weir.Streaming.Graph;

/// <summary>
/// A validated job: its vertices (operator chains, each run as one grain per subtask) in
/// topological order, and the edges between them. Built by <c>StreamExecutionEnvironment.Build</c>.
/// </summary>
public sealed class JobGraph
{
    internal JobGraph(string name, int maxParallelism, IReadOnlyList<JobVertex> vertices, IReadOnlyList<JobEdge> edges)
    {
        Name = name;
        MaxParallelism = maxParallelism;
        Vertices = vertices;
        Edges = edges;
        Operators = vertices
            .SelectMany(v => v.Chain.Select(t => new OperatorDescriptor(t.Uid!, t.Name, v.Parallelism, v.MaxParallelism)))
            .ToDictionary(o => o.Uid, StringComparer.Ordinal);
    }

    /// <summary>The job's name.</summary>
    public string Name { get; }

    /// <summary>Key groups of keyed state (<c>pipeline.max-parallelism</c>).</summary>
    public int MaxParallelism { get; }

    /// <summary>The chains, upstream first.</summary>
    public IReadOnlyList<JobVertex> Vertices { get; }

    /// <summary>The edges between chains.</summary>
    public IReadOnlyList<JobEdge> Edges { get; }

    /// <summary>Every operator by uid.</summary>
    public IReadOnlyDictionary<string, OperatorDescriptor> Operators { get; }

    /// <summary>The vertex with id <paramref name="vertexId"/>.</summary>
    public JobVertex Vertex(string vertexId) =>
        Vertices.FirstOrDefault(v => v.Id == vertexId) ?? throw new ArgumentException($"Job '{Name}' has no vertex '{vertexId}'.", nameof(vertexId));

    /// <summary>Every subtask of every vertex.</summary>
    public IEnumerable<TaskKey> Tasks() => Vertices.SelectMany(v => Enumerable.Range(0, v.Parallelism).Select(i => new TaskKey(v.Id, i)));

    /// <summary>A one-line description: vertices with parallelism.</summary>
    public override string ToString() => $"{Name}: " + string.Join(" => ", Vertices.Select(v => $"{v.Name} (x{v.Parallelism})"));
}

/// <summary>A chain of operators run together in one subtask grain; its id is the first operator's uid.</summary>
public sealed class JobVertex
{
    internal JobVertex(IReadOnlyList<Transformation> chain, int parallelism, int maxParallelism)
    {
        Chain = chain;
        Parallelism = parallelism;
        MaxParallelism = maxParallelism;
        Id = chain[0].Uid!;
        Name = string.Join(" -> ", chain.Select(t => t.Name));
    }

    /// <summary>The uid of the chain's first operator.</summary>
    public string Id { get; }

    /// <summary>The operators' names joined by " -> ".</summary>
    public string Name { get; }

    /// <summary>Subtasks of this vertex.</summary>
    public int Parallelism { get; }

    /// <summary>Key groups.</summary>
    public int MaxParallelism { get; }

    /// <summary>True if the chain starts with a source.</summary>
    public bool IsSource => Chain[0].IsSource;

    /// <summary>The uids of the chain's operators, in order.</summary>
    public IEnumerable<string> OperatorUids => Chain.Select(t => t.Uid!);

    internal IReadOnlyList<Transformation> Chain { get; }

    /// <summary>Edges into this vertex.</summary>
    public List<JobEdge> Inputs { get; } = [];

    /// <summary>Edges out of this vertex.</summary>
    public List<JobEdge> Outputs { get; } = [];
}

/// <summary>An edge between chains: every source subtask has a channel to every target subtask it may send to.</summary>
public sealed class JobEdge
{
    internal JobEdge(int id, JobVertex source, JobVertex target, Partitioning partitioning, int targetInput, object? keyGroupSelectorFactory, Windowing.OutputTag? tag)
    {
        Tag = tag;
        Id = id;
        Source = source;
        Target = target;
        Partitioning = partitioning;
        TargetInput = targetInput;
        KeyGroupSelectorFactory = keyGroupSelectorFactory;
    }

    /// <summary>The edge's number within the job.</summary>
    public int Id { get; }

    /// <summary>The upstream chain.</summary>
    public JobVertex Source { get; }

    /// <summary>The downstream chain.</summary>
    public JobVertex Target { get; }

    /// <summary>How records are distributed.</summary>
    public Partitioning Partitioning { get; }

    /// <summary>Which input of the target's head operator (0, or 1 for the second input of a join).</summary>
    public int TargetInput { get; }

    internal object? KeyGroupSelectorFactory { get; }

    /// <summary>The side output this edge carries, or null for the main output.</summary>
    public Windowing.OutputTag? Tag { get; }

    /// <summary>The encoding of this edge's elements on channels between silos.</summary>
    public Elements.IStreamElementCodec CreateCodec() => Tag?.CreateCodec() ?? Source.Chain[^1].CreateCodec();

    /// <summary>The target subtasks that source subtask <paramref name="sourceSubtask"/> sends to, in channel order.</summary>
    public IReadOnlyList<int> TargetsOf(int sourceSubtask) =>
        Partitioning == Partitioning.Forward ? [sourceSubtask] : Enumerable.Range(0, Target.Parallelism).ToArray();

    /// <summary>The source subtasks that send to target subtask <paramref name="targetSubtask"/>, in channel order.</summary>
    public IReadOnlyList<int> SourcesOf(int targetSubtask) =>
        Partitioning == Partitioning.Forward ? [targetSubtask] : Enumerable.Range(0, Source.Parallelism).ToArray();
}

/// <summary>A job graph cannot run; the message says which operator and why.</summary>
public sealed class JobGraphException(string message) : Exception(message);
