using Weir.Streaming.Api;
using Weir.Streaming.Graph;
using Weir.Streaming.Output;

namespace Weir.Streaming.Tests.Graph;

/// <summary>Which operators run together in one subtask, and the stable uids that match state to operators.</summary>
public sealed class JobGraphChainingTests
{
    [Fact]
    public void Source_map_filter_and_sink_of_equal_parallelism_chain_into_one_vertex()
    {
        var env = StreamExecutionEnvironment.Create();
        env.FromCollection([1, 2, 3], "numbers").Map(x => x * 2).Filter(x => x > 2).Print();

        var graph = env.Build("chain");

        var vertex = Assert.Single(graph.Vertices);
        Assert.Equal("Source: numbers -> Map -> Filter -> Sink: Print", vertex.Name);
        Assert.Equal(vertex.OperatorUids.First(), vertex.Id);
        Assert.True(vertex.IsSource);
        Assert.Empty(graph.Edges);
    }

    [Fact]
    public void Key_by_breaks_the_chain_with_a_hash_edge()
    {
        var env = StreamExecutionEnvironment.Create();
        env.FromCollection([1, 2, 3], "numbers").Map(x => x).KeyBy(x => x % 2).Reduce((a, b) => a + b).Print();

        var graph = env.Build("keyed");

        Assert.Equal(["Source: numbers -> Map", "Reduce -> Sink: Print"], graph.Vertices.Select(v => v.Name));
        var edge = Assert.Single(graph.Edges);
        Assert.Equal(Partitioning.Hash, edge.Partitioning);
        Assert.Same(graph.Vertices[0], edge.Source);
        Assert.Same(graph.Vertices[1], edge.Target);
    }

    [Fact]
    public void Different_parallelism_breaks_the_chain_with_a_rebalance_edge()
    {
        var env = StreamExecutionEnvironment.Create();
        env.FromCollection([1], "numbers").Map(x => x).SetParallelism(3).Print().SetParallelism(3);

        var graph = env.Build("wide");

        Assert.Equal([("Source: numbers", 1), ("Map -> Sink: Print", 3)], graph.Vertices.Select(v => (v.Name, v.Parallelism)));
        var edge = Assert.Single(graph.Edges);
        Assert.Equal(Partitioning.Rebalance, edge.Partitioning);
        Assert.Equal([0, 1, 2], edge.TargetsOf(0));
        Assert.Equal([0], edge.SourcesOf(2));
    }

    [Fact]
    public void Disable_chaining_starts_a_new_vertex_with_a_forward_edge()
    {
        var env = StreamExecutionEnvironment.Create();
        env.FromCollection([1], "numbers").Map(x => x).DisableChaining().Filter(x => true).Print();

        var graph = env.Build("split");

        Assert.Equal(["Source: numbers", "Map -> Filter -> Sink: Print"], graph.Vertices.Select(v => v.Name));
        var edge = Assert.Single(graph.Edges);
        Assert.Equal(Partitioning.Forward, edge.Partitioning);
        Assert.Equal([0], edge.TargetsOf(0));
    }

    [Fact]
    public void With_chaining_off_every_operator_is_its_own_vertex()
    {
        var env = StreamExecutionEnvironment.Create(operatorChaining: false);
        env.FromCollection([1]).Map(x => x).Filter(x => true).Print();

        var graph = env.Build("unchained");

        Assert.Equal(4, graph.Vertices.Count);
        Assert.Equal(3, graph.Edges.Count);
        Assert.All(graph.Edges, e => Assert.Equal(Partitioning.Forward, e.Partitioning));
    }

    [Fact]
    public void An_operator_with_two_consumers_ends_its_chain()
    {
        var env = StreamExecutionEnvironment.Create();
        var source = env.FromCollection([1], "numbers");
        source.Map(x => x, "Left").Print("left");
        source.Map(x => x, "Right").Print("right");

        var graph = env.Build("fan-out");

        Assert.Equal(["Source: numbers", "Left -> Sink: left", "Right -> Sink: right"], graph.Vertices.Select(v => v.Name));
    }

    [Fact]
    public void An_operator_with_two_inputs_starts_a_chain()
    {
        var env = StreamExecutionEnvironment.Create();
        env.FromCollection([1], "a").Union(env.FromCollection([2], "b")).Map(x => x, "Merged").Print();

        var graph = env.Build("fan-in");

        Assert.Equal(["Source: a", "Source: b", "Merged -> Sink: Print"], graph.Vertices.Select(v => v.Name));
        Assert.Equal(2, graph.Vertices[2].Inputs.Count);
    }

    [Fact]
    public void Default_uids_derive_from_names_and_are_deduplicated()
    {
        var env = StreamExecutionEnvironment.Create();
        var source = env.FromCollection([1], "numbers");
        source.Map(x => x).Print();
        source.Map(x => x).Print();
        source.Map(x => x, "Σ weird -- name!!").Print();
        source.Map(x => x, "!!!").Print();

        var graph = env.Build("uids");

        string[] expected = ["source-numbers", "map", "map-2", "weird-name", "operator", "sink-print", "sink-print-2", "sink-print-3", "sink-print-4"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), graph.Operators.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("map", graph.Operators.Values.First(o => o.Name == "Map").Uid);
    }

    [Fact]
    public void A_user_uid_wins_over_a_derived_one_of_the_same_text()
    {
        var env = StreamExecutionEnvironment.Create();
        var source = env.FromCollection([1]);
        source.Map(x => x, "Map").Print();
        source.Map(x => x, "Counter").Uid("map").Print();

        var graph = env.Build("uids");

        Assert.Equal("map", graph.Operators.Values.Single(o => o.Name == "Counter").Uid);
        Assert.Equal("map-2", graph.Operators.Values.Single(o => o.Name == "Map").Uid);
    }

    [Fact]
    public void Default_uids_are_the_same_every_time_the_same_program_is_built()
    {
        static JobGraph Program()
        {
            var env = StreamExecutionEnvironment.Create(defaultParallelism: 2);
            var source = env.FromCollection(["a", "b"], "words");
            source.FlatMap(w => w.Split(' ')).KeyBy(w => w).Reduce((a, b) => a + b).Print();
            source.Map(w => w.Length).Filter(n => n > 0).Print();
            return env.Build("words");
        }

        var first = Program().Operators.Keys.Order(StringComparer.Ordinal).ToArray();
        var second = Program().Operators.Keys.Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(first, second);
        Assert.Equal(first.Length, first.Distinct().Count());
    }

    [Fact]
    public void The_graph_lists_every_operator_with_its_vertex_parallelism_and_every_subtask()
    {
        var env = StreamExecutionEnvironment.Create(defaultParallelism: 2, maxParallelism: 64);
        env.FromCollection([1], "numbers").Rebalance().Map(x => x, "Double").Print();

        var graph = env.Build("tasks");

        Assert.Equal(new Checkpointing.Coordinator.OperatorDescriptor("double", "Double", 2, 64), graph.Operators["double"]);
        Assert.Equal(3, graph.Tasks().Count());
        Assert.Equal("tasks: Source: numbers (x1) => Double -> Sink: Print (x2)", graph.ToString());
        Assert.Throws<ArgumentException>(() => graph.Vertex("missing"));
    }
}
