using Weir.Streaming.Api;
using Weir.Streaming.Graph;
using Weir.Streaming.Operators;

namespace Weir.Streaming.Tests.Graph;

/// <summary>Each validation rule of the job graph, with the message a user sees.</summary>
public sealed class JobGraphValidationTests
{
    [Fact]
    public void A_cycle_is_refused_naming_the_operators_on_it()
    {
        var env = StreamExecutionEnvironment.Create();
        var a = env.FromCollection([1, 2, 3]).Map(x => x, "A");
        var b = a.Map(x => x, "B");
        b.Print();
        StreamExecutionEnvironment.Connect(Transformation(b), Transformation(a));

        var error = Assert.Throws<JobGraphException>(() => env.Build("cyclic"));

        Assert.Equal("The job graph has a cycle through operators 'A', 'B': a dataflow must be acyclic.", error.Message);
    }

    [Fact]
    public void A_keyed_operator_without_key_by_is_refused_with_a_hint()
    {
        var env = StreamExecutionEnvironment.Create();
        var source = env.FromCollection([1, 2, 3], "numbers");
        env.Add<int>("Counter", () => new MapOperator<int, int>(x => x), OperatorRole.Keyed, source.Inputs());

        var error = Assert.Throws<JobGraphException>(() => env.Build("unkeyed"));

        Assert.Equal("Operator 'Counter' uses keyed state, but its input from 'Source: numbers' is not keyed: call KeyBy(...) before it.", error.Message);
    }

    [Fact]
    public void A_keyed_operator_after_key_by_is_accepted()
    {
        var env = StreamExecutionEnvironment.Create();
        env.FromCollection([1, 2, 3]).KeyBy(x => x % 2).Reduce((a, b) => a + b).Print();

        var graph = env.Build("keyed");

        Assert.Contains(graph.Edges, e => e.Partitioning == Output.Partitioning.Hash);
    }

    [Fact]
    public void A_parallelism_above_the_max_parallelism_is_refused_naming_the_setting()
    {
        var env = StreamExecutionEnvironment.Create(maxParallelism: 4);
        env.FromCollection([1]).Map(x => x, "Wide").SetParallelism(5).Print();

        var error = Assert.Throws<JobGraphException>(() => env.Build("too wide"));

        Assert.Equal("Operator 'Wide' has parallelism 5, above the max parallelism 4 (pipeline.max-parallelism): there would be subtasks without key groups.", error.Message);
    }

    [Fact]
    public void A_default_parallelism_above_the_max_parallelism_is_refused()
    {
        var env = StreamExecutionEnvironment.Create(defaultParallelism: 8, maxParallelism: 4);
        env.FromCollection([1]).Map(x => x).Print();

        var error = Assert.Throws<JobGraphException>(() => env.Build("too wide"));

        Assert.Contains("has parallelism 8, above the max parallelism 4", error.Message);
    }

    [Fact]
    public void A_parallelism_below_one_is_refused()
    {
        var env = StreamExecutionEnvironment.Create();
        env.FromCollection([1]).Map(x => x, "Nothing").SetParallelism(0).Print();

        var error = Assert.Throws<JobGraphException>(() => env.Build("empty"));

        Assert.Equal("Operator 'Nothing' has parallelism 0: it must be at least 1.", error.Message);
    }

    [Fact]
    public void A_forward_edge_between_different_parallelisms_is_refused_with_a_hint()
    {
        var env = StreamExecutionEnvironment.Create();
        env.FromCollection([1], "numbers").Forward().Map(x => x, "Wide").SetParallelism(2).Print();

        var error = Assert.Throws<JobGraphException>(() => env.Build("forward"));

        Assert.Equal("Operator 'Wide' (parallelism 2) has a forward input from 'Source: numbers' (parallelism 1): forward partitioning needs equal parallelism; use Rebalance().", error.Message);
    }

    [Fact]
    public void A_uid_used_twice_is_refused()
    {
        var env = StreamExecutionEnvironment.Create();
        var source = env.FromCollection([1]);
        source.Map(x => x).Uid("same").Print();
        source.Map(x => x + 1).Uid("same").Print();

        var error = Assert.Throws<JobGraphException>(() => env.Build("duplicate"));

        Assert.Equal("Uid 'same' is used by more than one operator: a uid identifies one operator's state in checkpoints.", error.Message);
    }

    [Fact]
    public void A_job_without_a_source_is_refused()
    {
        var env = StreamExecutionEnvironment.Create();
        env.Add<int>("Lonely", () => new MapOperator<int, int>(x => x), OperatorRole.Plain, []);

        var error = Assert.Throws<JobGraphException>(() => env.Build("sourceless"));

        Assert.Equal("Job 'sourceless' has no source.", error.Message);
    }

    [Fact]
    public void A_job_without_operators_is_refused()
    {
        var error = Assert.Throws<JobGraphException>(() => StreamExecutionEnvironment.Create().Build("empty"));

        Assert.Equal("Job 'empty' has no operators: add a source and a sink.", error.Message);
    }

    [Fact]
    public void An_operator_without_input_is_refused()
    {
        var env = StreamExecutionEnvironment.Create();
        env.FromCollection([1]).Print();
        env.Add<int>("Orphan", () => new MapOperator<int, int>(x => x), OperatorRole.Plain, []);

        var error = Assert.Throws<JobGraphException>(() => env.Build("orphan"));

        Assert.Equal("Operator 'Orphan' has no input.", error.Message);
    }

    [Fact]
    public void An_input_from_another_environment_is_refused()
    {
        var other = StreamExecutionEnvironment.Create().FromCollection([1], "elsewhere");
        var env = StreamExecutionEnvironment.Create();
        var map = env.FromCollection([1]).Map(x => x, "Joined");
        StreamExecutionEnvironment.Connect(Transformation(other), Transformation(map));

        var error = Assert.Throws<JobGraphException>(() => env.Build("foreign"));

        Assert.Equal("Operator 'Joined' reads from operator 'Source: elsewhere', which is not part of this job.", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32769)]
    public void A_max_parallelism_outside_1_to_32768_is_refused(int maxParallelism)
    {
        var env = StreamExecutionEnvironment.Create(maxParallelism: maxParallelism);
        env.FromCollection([1]).Print();

        var error = Assert.Throws<JobGraphException>(() => env.Build("job"));

        Assert.Equal($"Max parallelism {maxParallelism} is not allowed: it must be between 1 and 32768 (pipeline.max-parallelism).", error.Message);
    }

    [Fact]
    public void A_job_needs_a_name()
    {
        var env = StreamExecutionEnvironment.Create();
        env.FromCollection([1]).Print();

        Assert.Equal("A job needs a name.", Assert.Throws<JobGraphException>(() => env.Build(" ")).Message);
    }

    [Fact]
    public void Naming_a_union_is_refused_because_it_has_no_single_producing_operator()
    {
        var env = StreamExecutionEnvironment.Create();
        var union = env.FromCollection([1]).Union(env.FromCollection([2]));

        var error = Assert.Throws<InvalidOperationException>(() => union.Name("both"));

        Assert.Equal("Name applies to the operator producing a stream, but this stream is a union of 2 streams.", error.Message);
    }

    internal static Transformation Transformation<T>(DataStream<T> stream) => Assert.Single(stream.Producers).Transformation;
}
