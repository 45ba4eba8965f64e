using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.Sinks;
using Weir.Streaming.Watermarks;
using Weir.Streaming.Windowing;
using static Weir.Hosting.Tests.EventTime.EventTimeTestKit;

namespace Weir.Hosting.Tests.EventTime;

/// <summary>Windows against a straightforward reference computation over the same events.</summary>
public sealed class WindowTests
{
    private const long Jitter = 300;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Tumbling_sliding_and_session_windows_equal_the_reference(int seed)
    {
        await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "50ms"));
        var events = Events(seed, 3_000, keys: 7, step: 10, Jitter);
        var strategy = WatermarkStrategy<Event>.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(Jitter)).WithTimestampAssigner(e => e.Time);
        var (tumbling, sliding, sessions) = (Sink("tumbling"), Sink("sliding"), Sink("sessions"));

        var env = StreamExecutionEnvironment.Create(defaultParallelism: 2);
        var stream = env.FromCollection(events).AssignTimestampsAndWatermarks(strategy).KeyBy(e => e.Key);
        stream.Window(TumblingEventTimeWindows.Of(TimeSpan.FromSeconds(1)))
            .Reduce((a, b) => a with { Value = a.Value + b.Value }, new ProcessWindowFunctionAdapter<Event, (int, long, long), int>((key, ctx, sums, output) => output.Collect((key, ctx.Window.Start, sums.Single().Value))))
            .AddSink(new CollectingSink<(int Key, long Start, long Sum)>(tumbling));
        stream.Window(SlidingEventTimeWindows.Of(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(500)))
            .Aggregate(Count(), new ProcessWindowFunctionAdapter<long, (int, long, long), int>((key, ctx, counts, output) => output.Collect((key, ctx.Window.Start, counts.Single()))))
            .AddSink(new CollectingSink<(int Key, long Start, long Count)>(sliding));
        stream.Window(EventTimeSessionWindows.WithGap(TimeSpan.FromMilliseconds(40)))
            .Process(new ProcessWindowFunctionAdapter<Event, (int, long, long, int), int>((key, ctx, all, output) => output.Collect((key, ctx.Window.Start, ctx.Window.End, all.Count()))))
            .AddSink(new CollectingSink<(int Key, long Start, long End, int Count)>(sessions));
        await RunAsync<object>(silo, env.Build($"windows-{seed}"), "unused");

        var expectedTumbling = events.GroupBy(e => (e.Key, Start: TimeWindow.StartOf(e.Time, 0, 1000))).Select(g => (g.Key.Key, g.Key.Start, g.Sum(e => e.Value)));
        Assert.Equal(expectedTumbling.Order(), CollectedResults<(int, long, long)>.Get(tumbling).Records.Order());

        var expectedSliding = events
            .SelectMany(e => SlidingEventTimeWindows.Of(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(500)).AssignWindows(e.Time).Select(w => (e.Key, w.Start)))
            .GroupBy(x => x)
            .Select(g => (g.Key.Key, g.Key.Start, (long)g.Count()));
        Assert.Equal(expectedSliding.Order(), CollectedResults<(int, long, long)>.Get(sliding).Records.Order());

        Assert.Equal(ReferenceSessions(events, gap: 40).Order(), CollectedResults<(int, long, long, int)>.Get(sessions).Records.Order());
    }

    [Fact]
    public async Task Allowed_lateness_refires_windows_and_later_records_go_to_the_side_output()
    {
        await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "50ms"));
        // Watermark = time of the latest event - 1. The 700 event is late by 1.3 s (window [0,1000) is past its
        // end but within 1.5 s of lateness): the window fires again. The 200 event arrives when the watermark
        // is 3999: past [0,1000)'s end + lateness, so it goes to the side output.
        Event[] events = [new(1, 1, 100), new(1, 1, 900), new(1, 1, 2000), new(1, 1, 700), new(1, 1, 4000), new(1, 1, 200)];
        var late = new OutputTag<Event>("late");
        var (results, lateSink) = (Sink("lateness"), Sink("late"));
        var env = StreamExecutionEnvironment.Create();
        var counted = env.FromCollection(events)
            .AssignTimestampsAndWatermarks(WatermarkStrategy<Event>.ForGenerator(() => new PunctuatedWatermarks()).WithTimestampAssigner(e => e.Time))
            .KeyBy(e => e.Key)
            .Window(TumblingEventTimeWindows.Of(TimeSpan.FromSeconds(1)))
            .AllowedLateness(TimeSpan.FromMilliseconds(1500))
            .SideOutputLateData(late)
            .Aggregate(Count(), new ProcessWindowFunctionAdapter<long, (long, long), int>((_, ctx, counts, output) => output.Collect((ctx.Window.Start, counts.Single()))));
        counted.AddSink(new CollectingSink<(long Start, long Count)>(results));
        counted.GetSideOutput(late).AddSink(new CollectingSink<Event>(lateSink));
        await RunAsync<object>(silo, env.Build("lateness"), "unused");

        // [0,1000) fires with 2 at watermark 1999, again with 3 for the late 700; [2000,3000) and [4000,5000) fire once.
        Assert.Equal([(0L, 2L), (0L, 3L), (2000L, 1L), (4000L, 1L)], CollectedResults<(long, long)>.Get(results).Records.Order());
        Assert.Equal([new Event(1, 1, 200)], CollectedResults<Event>.Get(lateSink).Records);
    }

    [Fact]
    public async Task Event_time_timers_fire_in_timestamp_order_per_key()
    {
        await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "50ms"));
        var events = Enumerable.Range(0, 200).Select(i => new Event(i % 3, i, i * 10L)).ToArray();
        var sink = Sink("timers");
        var env = StreamExecutionEnvironment.Create(defaultParallelism: 2);
        env.FromCollection(events)
            .AssignTimestampsAndWatermarks(WatermarkStrategy<Event>.ForMonotonousTimestamps().WithTimestampAssigner(e => e.Time))
            .KeyBy(e => e.Key)
            .Process(new TimerEcho())
            .AddSink(new CollectingSink<(int Key, long Timer, bool Valid)>(sink));
        await RunAsync<object>(silo, env.Build("timers"), "unused");

        var fired = CollectedResults<(int Key, long Timer, bool Valid)>.Get(sink).Records;
        Assert.All(fired, f => Assert.True(f.Valid, $"timer {f.Timer} fired outside event time or before the watermark reached it"));
        foreach (var key in Enumerable.Range(0, 3))
        {
            var expected = events.Where(e => e.Key == key && e.Time % 100 != 0).Select(e => e.Time + 25).Order();
            Assert.Equal(expected, fired.Where(f => f.Key == key).Select(f => f.Timer));
        }
    }

    [Fact]
    public async Task Processing_time_timers_fire_on_the_clock_not_before_their_time()
    {
        await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "50ms"));
        var sink = Sink("processing-timers");
        var env = StreamExecutionEnvironment.Create();
        // 200 records over about one second of wall time, each asking for a timer about 30 ms later.
        env.AddSource(new Weir.Streaming.Sources.GeneratorSource<Event>((_, i) => new Event((int)(i % 4), i, i), partitions: 1, recordsPerPartition: 200, recordsPerSecond: 200), "slow")
            .KeyBy(e => e.Key)
            .Process(new ProcessingTimer())
            .AddSink(new CollectingSink<(string Kind, int Key, long Due, long At)>(sink));
        await RunAsync<object>(silo, env.Build("processing-timers"), "unused");

        var records = CollectedResults<(string Kind, int Key, long Due, long At)>.Get(sink).Records;
        var registered = records.Where(r => r.Kind == "registered").Select(r => (r.Key, r.Due)).ToHashSet();
        var fired = records.Where(r => r.Kind != "registered").ToArray();
        Assert.All(fired, f => Assert.True(f.Kind == "fired" && f.At >= f.Due && registered.Contains((f.Key, f.Due)), $"{f.Kind} timer {f.Key}/{f.Due} at {f.At}"));
        Assert.Equal(fired.Length, fired.Select(f => (f.Key, f.Due)).Distinct().Count());

        // Timers due after the input ended may be dropped with the finished task, as in Flink; the others fire.
        Assert.True(fired.Length >= registered.Count * 0.8, $"{fired.Length} of {registered.Count} timers fired");
    }

    private sealed class ProcessingTimer : KeyedProcessFunction<int, Event, (string, int, long, long)>
    {
        public override void ProcessElement(Event value, Context context, ICollector<(string, int, long, long)> output)
        {
            var due = context.TimerService.CurrentProcessingTime + 30;
            context.TimerService.RegisterProcessingTimeTimer(due);
            output.Collect(("registered", context.CurrentKey, due, 0));
        }

        public override void OnTimer(long timestamp, Context context, ICollector<(string, int, long, long)> output) =>
            output.Collect((context.Domain == Weir.Streaming.Timers.TimeDomain.ProcessingTime ? "fired" : "wrong domain", context.CurrentKey, timestamp, context.TimerService.CurrentProcessingTime));
    }

    /// <summary>Registers a timer 25 ms after each record and deletes it again for records at multiples of 100 ms.</summary>
    private sealed class TimerEcho : KeyedProcessFunction<int, Event, (int, long, bool)>
    {
        public override void ProcessElement(Event value, Context context, ICollector<(int, long, bool)> output)
        {
            context.TimerService.RegisterEventTimeTimer(value.Time + 25);
            if (value.Time % 100 == 0)
            {
                context.TimerService.DeleteEventTimeTimer(value.Time + 25);
            }
        }

        public override void OnTimer(long timestamp, Context context, ICollector<(int, long, bool)> output) =>
            output.Collect((context.CurrentKey, timestamp, context.Domain == Weir.Streaming.Timers.TimeDomain.EventTime && timestamp <= context.TimerService.CurrentWatermark));
    }

    private static IEnumerable<(int, long, long, int)> ReferenceSessions(IEnumerable<Event> events, long gap)
    {
        foreach (var byKey in events.GroupBy(e => e.Key))
        {
            var times = byKey.Select(e => e.Time).Order().ToArray();
            var start = times[0];
            var end = times[0] + gap;
            var count = 1;
            foreach (var t in times.Skip(1))
            {
                if (t <= end)
                {
                    end = Math.Max(end, t + gap);
                    count++;
                }
                else
                {
                    yield return (byKey.Key, start, end, count);
                    (start, end, count) = (t, t + gap, 1);
                }
            }

            yield return (byKey.Key, start, end, count);
        }
    }
}
