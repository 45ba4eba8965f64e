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
/// Sliding windows of a mergeable aggregate are computed from panes (PanedWindowOperator): the
/// results, late records included, equal those of the per-window operator (an aggregate without
/// a merge function keeps that one) and the reference, also across failures.
/// </summary>
public sealed class PanedWindowTests(ITestOutputHelper output)
{
    private const int Partitions = 4;
    private const long PerPartition = 1_500;
    private static readonly SlidingEventTimeWindows Assigner = SlidingEventTimeWindows.Of(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(500));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Paned_sliding_windows_and_late_records_equal_the_per_window_operator_and_the_reference(int seed)
    {
        await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "50ms"));

        // Out of order by up to 2.5 s under a watermark one below the latest time (in band, so the run is
        // deterministic): some records are late for some of their windows, some for all of them.
        var events = Events(seed, 3_000, keys: 5, step: 10, jitter: 2_500);
        var strategy = WatermarkStrategy<Event>.ForGenerator(() => new PunctuatedWatermarks()).WithTimestampAssigner(e => e.Time);
        var (paned, perWindow, panedLate, perWindowLate) = (Sink("paned"), Sink("per-window"), Sink("paned-late"), Sink("per-window-late"));
        var env = StreamExecutionEnvironment.Create(defaultParallelism: 1);
        var keyed = env.FromCollection(events).AssignTimestampsAndWatermarks(strategy).KeyBy(e => e.Key);
        var withMerge = new AggregateFunction<Event, long, long>(() => 0, (e, sum) => sum + e.Value, sum => sum, (a, b) => a + b);
        var withoutMerge = new AggregateFunction<Event, long, long>(() => 0, (e, sum) => sum + e.Value, sum => sum);
        foreach (var (aggregate, sink, lateSink) in new[] { (withMerge, paned, panedLate), (withoutMerge, perWindow, perWindowLate) })
        {
            var late = new OutputTag<Event>("late");
            var sums = keyed
                .Window(Assigner)
                .SideOutputLateData(late)
                .Aggregate(aggregate, new ProcessWindowFunctionAdapter<long, (int, long, long), int>((key, ctx, values, o) => o.Collect((key, ctx.Window.Start, values.Single()))));
            sums.AddSink(new CollectingSink<(int Key, long Start, long Sum)>(sink));
            sums.GetSideOutput(late).AddSink(new CollectingSink<Event>(lateSink));
        }

        await RunAsync<object>(silo, env.Build($"paned-{seed}"), "unused");

        // The reference: a record counts in each of its windows whose end is after the watermark it arrives at.
        var watermark = long.MinValue;
        var counted = new List<(int Key, long Start, long Value)>();
        var lateRecords = new List<Event>();
        foreach (var e in events)
        {
            var open = Assigner.AssignWindows(e.Time).Where(w => w.MaxTimestamp > watermark).ToArray();
            counted.AddRange(open.Select(w => (e.Key, w.Start, e.Value)));
            if (open.Length == 0)
            {
                lateRecords.Add(e);
            }

            watermark = Math.Max(watermark, e.Time - 1);
        }

        var expected = counted.GroupBy(c => (c.Key, c.Start)).Select(g => (g.Key.Key, g.Key.Start, g.Sum(c => c.Value))).Order().ToArray();
        var panedRows = CollectedResults<(int, long, long)>.Get(paned).Records.Order().ToArray();
        output.WriteLine($"seed {seed}: {panedRows.Length} windows, {lateRecords.Count} late records");
        Assert.NotEmpty(lateRecords);
        Assert.Equal(expected, panedRows);
        Assert.Equal(expected, CollectedResults<(int, long, long)>.Get(perWindow).Records.Order());
        Assert.Equal(lateRecords, CollectedResults<Event>.Get(panedLate).Records);
        Assert.Equal(lateRecords, CollectedResults<Event>.Get(perWindowLate).Records);
    }

    [Theory]
    [InlineData(FailurePoint.Process, 2)]
    [InlineData(FailurePoint.Restore, 3)]
    public async Task Paned_sliding_windows_after_failures_equal_the_reference(FailurePoint point, int parallelism)
    {
        await using var silo = await TestSilo.StartAsync(
            ("execution.checkpointing.interval", "50ms"),
            ("restart-strategy.type", "fixed-delay"),
            ("restart-strategy.fixed-delay.attempts", "5"),
            ("restart-strategy.fixed-delay.delay", "20ms"));
        var sink = Sink($"paned-faults-{point}");
        var injector = new FailureInjector([("gate", parallelism)], seed: parallelism);
        var target = KeyGroupRange.SubtaskFor(KeyGroupAssigner.KeyGroupFor(0, 128), 128, parallelism);
        if (point == FailurePoint.Restore)
        {
            injector.Arm(FailurePoint.Process, "gate", target, afterCheckpoints: 2);
        }

        injector.Arm(point, "gate", target, afterCheckpoints: 2);
        // About three seconds of input per subtask, so several checkpoints complete before and after the failure.
        var job = await silo.Jobs.SubmitAsync(SlidingJob(parallelism, Partitions * PerPartition / parallelism / 3.0, injector, sink));
        var status = await job.WaitForTerminationAsync().Within("the job finishes", TimeSpan.FromSeconds(90));

        var results = CollectedResults<(int Key, long Start, long Sum)>.Get(sink).Records.Order().ToArray();
        output.WriteLine($"{point} p={parallelism}: windows expected={Reference().Length} emitted={results.Length}; failures injected={injector.Injected} observed={status.Restarts}; checkpoints completed={status.Checkpoints.Completed}");
        Assert.Equal(JobState.Finished, status.State);
        Assert.Equal(point == FailurePoint.Restore ? 2 : 1, injector.Injected);
        Assert.Equal(Reference(), results);
    }

    /// <summary>Per partition, records (partition, i) at event time i * 10 ms, summed per key in sliding windows of 1 s every 250 ms.</summary>
    private static JobGraph SlidingJob(int parallelism, double rate, FailureInjector injector, string sink)
    {
        var env = StreamExecutionEnvironment.Create(parallelism);
        env.AutoWatermarkInterval = TimeSpan.FromMilliseconds(20);
        env.AddSource(new GeneratorSource<Event>((p, i) => new Event(p, i, i * 10), Partitions, PerPartition, rate), "events", WatermarkStrategy<Event>.ForMonotonousTimestamps().WithTimestampAssigner(e => e.Time))
            .Uid("events")
            .KeyBy(e => e.Key)
            .Process(new Gate(injector), "gate")
            .Uid("gate")
            .KeyBy(e => e.Key)
            .Window(SlidingEventTimeWindows.Of(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(250)))
            .Aggregate(
                new AggregateFunction<Event, long, long>(() => 0, (e, sum) => sum + e.Value, sum => sum, (a, b) => a + b),
                new ProcessWindowFunctionAdapter<long, (int, long, long), int>((key, ctx, sums, o) => o.Collect((key, ctx.Window.Start, sums.Single()))))
            .Uid("window")
            .AddSink(new CollectingSink<(int Key, long Start, long Sum)>(sink))
            .Uid("sink");
        return env.Build("paned-windowed");
    }

    private static (int Key, long Start, long Sum)[] Reference() =>
        Enumerable.Range(0, Partitions)
            .SelectMany(p => Enumerable.Range(0, (int)PerPartition).Select(i => new Event(p, i, i * 10L)))
            .SelectMany(e => SlidingEventTimeWindows.Of(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(250)).AssignWindows(e.Time).Select(w => (e, w.Start)))
            .GroupBy(x => (x.e.Key, x.Start))
            .Select(g => (g.Key.Key, g.Key.Start, g.Sum(x => x.e.Value)))
            .Order()
            .ToArray();
}
