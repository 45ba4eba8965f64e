using Weir.Checkpointing.Configuration;
using Weir.Checkpointing.Metadata;
using Weir.Hosting.Grains;
using Weir.Jobs;
using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.Graph;
using Weir.Streaming.Sinks;
using Weir.Streaming.Sources;
using Weir.Streaming.State;
using Weir.Streaming.Watermarks;
using Weir.Streaming.Windowing;
using Xunit.Abstractions;
using static Weir.Hosting.Tests.EventTime.EventTimeTestKit;

namespace Weir.Hosting.Tests.EventTime;

/// <summary>
/// Windows and timers across failures and restores: results after failures, restarts and
/// rescaled restores equal those of a failure-free run (computed directly from the input).
/// </summary>
public sealed class EventTimeRecoveryTests(ITestOutputHelper output)
{
    private const int Partitions = 6;
    private const long PerPartition = 1_500;

    [Theory]
    [InlineData(FailurePoint.Process, 2, false)]
    [InlineData(FailurePoint.Snapshot, 3, false)]
    [InlineData(FailurePoint.Restore, 2, false)]
    [InlineData(FailurePoint.Process, 2, true)]
    [InlineData(FailurePoint.Snapshot, 3, true)]
    [InlineData(FailurePoint.Restore, 2, true)]
    public async Task Window_results_after_failures_equal_a_failure_free_run(FailurePoint point, int parallelism, bool unaligned)
    {
        await using var silo = await TestSilo.StartAsync(
            ("execution.checkpointing.interval", "50ms"),
            ("execution.checkpointing.unaligned.enabled", unaligned ? "true" : "false"),
            ("restart-strategy.type", "fixed-delay"),
            ("restart-strategy.fixed-delay.attempts", "5"),
            ("restart-strategy.fixed-delay.delay", "20ms"));
        var sink = Sink($"window-faults-{point}-{unaligned}");
        var injector = new FailureInjector([("gate", parallelism)], seed: parallelism);
        var target = KeyGroupRange.SubtaskFor(KeyGroupAssigner.KeyGroupFor(0, 128), 128, parallelism);
        if (point == FailurePoint.Restore)
        {
            injector.Arm(FailurePoint.Process, "gate", target, afterCheckpoints: 2);
        }

        injector.Arm(point, "gate", target, afterCheckpoints: 2);
        var expectedFailures = point == FailurePoint.Restore ? 2 : 1;
        // The input's last quarter waits for the failures: a loaded machine may take the two checkpoints late.
        var job = await silo.Jobs.SubmitAsync(WindowedJob(parallelism, Partitions * PerPartition / parallelism / 1.0, injector, sink, () => injector.Injected >= expectedFailures));
        var status = await job.WaitForTerminationAsync().Within("the job finishes", TimeSpan.FromSeconds(90));

        var results = CollectedResults<WindowSum>.Get(sink).Records;
        var expected = Reference();
        output.WriteLine($"{point} p={parallelism}{(unaligned ? " unaligned" : string.Empty)}: windows expected={expected.Length} emitted={results.Count} distinct={results.Distinct().Count()}; failures injected={injector.Injected} observed={status.Restarts}");
        Assert.Equal(JobState.Finished, status.State);
        Assert.Equal(expectedFailures, injector.Injected);
        Assert.Equal(injector.Injected, status.Restarts);
        Assert.Equal(expected, results.Order().ToArray());
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(3, 1)]
    public async Task Windows_and_their_timers_survive_a_rescaled_restore(int from, int to)
    {
        await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "50ms"), ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"));
        var sink = Sink($"window-rescale-{from}-{to}");
        var injector = new FailureInjector([], seed: 1);
        var first = await silo.Jobs.SubmitAsync(WindowedJob(from, Partitions * PerPartition / from / 6.0, injector, sink));
        await Eventually.Until(() => first.GetStatusAsync().Result.Checkpoints.Completed >= 4, "four checkpoints", TimeSpan.FromSeconds(30));
        await first.CancelAsync();

        var store = new Weir.Storage.FileSystem.FileSystemCheckpointStore(silo.CheckpointDirectory);
        var retained = await Weir.Checkpointing.Recovery.CheckpointLocator.FindLatestAsync(store, "windowed") ?? throw new InvalidOperationException("No checkpoint was retained.");
        var second = await silo.Jobs.SubmitAsync(
            WindowedJob(to, Partitions * PerPartition / to * 2.0, injector, sink),
            new JobSubmitOptions(RestorePath: Path.Combine(silo.CheckpointDirectory, "windowed", $"chk-{retained.CheckpointId}")));
        var status = await second.WaitForTerminationAsync().Within("the restored job finishes", TimeSpan.FromSeconds(60));

        var results = CollectedResults<WindowSum>.Get(sink).Records;
        output.WriteLine($"{from} -> {to}: restored checkpoint {retained.CheckpointId}; windows expected={Reference().Length} emitted={results.Count}");
        Assert.Equal(JobState.Finished, status.State);
        Assert.Equal(Reference(), results.Order().ToArray());
    }

    /// <summary>Per partition, records (partition, i) at event time i * 10 ms, summed per key in 500 ms tumbling windows; with <paramref name="tailReleased"/>, the last quarter trickles until it returns true.</summary>
    private static JobGraph WindowedJob(int parallelism, double rate, FailureInjector injector, string sink, Func<bool>? tailReleased = null)
    {
        var env = StreamExecutionEnvironment.Create(parallelism);
        env.AutoWatermarkInterval = TimeSpan.FromMilliseconds(20);
        // Watermarks per split: after a (rescaled) restore, splits of one subtask may be at different positions.
        GeneratorSource<Event> Generator() => new((p, i) => new Event(p, i, i * 10), Partitions, PerPartition, rate);
        SourceFunction<Event, GeneratorSource<Event>.Split> source = tailReleased is null ? Generator() : new Recovery.TailHeldSource<Event>(Generator, PerPartition, tailReleased);
        env.AddSource(source, "events", WatermarkStrategy<Event>.ForMonotonousTimestamps().WithTimestampAssigner(e => e.Time))
            .Uid("events")
            .KeyBy(e => e.Key)
            .Process(new Gate(injector), "gate")
            .Uid("gate")
            .KeyBy(e => e.Key)
            .Window(TumblingEventTimeWindows.Of(TimeSpan.FromMilliseconds(500)))
            .Reduce((a, b) => a with { Value = a.Value + b.Value }, new ProcessWindowFunctionAdapter<Event, WindowSum, int>((key, context, sums, output) => output.Collect(new WindowSum(key, context.Window.Start, sums.Single().Value))))
            .Uid("window")
            .AddSink(new CollectingSink<WindowSum>(sink))
            .Uid("sink");
        return env.Build("windowed");
    }

    private static WindowSum[] Reference() =>
        Enumerable.Range(0, Partitions)
            .SelectMany(p => Enumerable.Range(0, (int)PerPartition).Select(i => new Event(p, i, i * 10L)))
            .GroupBy(e => (e.Key, e.Time / 500 * 500))
            .Select(g => new WindowSum(g.Key.Key, g.Key.Item2, g.Sum(e => e.Value)))
            .Order()
            .ToArray();

    /// <summary>A window's sum.</summary>
    public sealed record WindowSum(int Key, long Start, long Sum) : IComparable<WindowSum>
    {
        public int CompareTo(WindowSum? other) => other is null ? 1 : (Key, Start, Sum).CompareTo((other.Key, other.Start, other.Sum));
    }
}
