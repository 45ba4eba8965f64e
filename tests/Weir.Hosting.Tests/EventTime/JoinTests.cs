using Weir.Streaming.Api;
using Weir.Streaming.Sinks;
using Weir.Streaming.Watermarks;
using Weir.Streaming.Windowing;
using static Weir.Hosting.Tests.EventTime.EventTimeTestKit;

namespace Weir.Hosting.Tests.EventTime;

/// <summary>Window joins and interval joins against the pairs a nested loop finds.</summary>
public sealed class JoinTests
{
    private const long Jitter = 200;

    [Fact]
    public async Task A_window_join_emits_every_pair_with_equal_keys_in_the_same_window()
    {
        await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "50ms"));
        var left = Events(11, 600, keys: 5, step: 10, Jitter);
        var right = Events(12, 400, keys: 5, step: 15, Jitter);
        var sink = Sink("window-join");
        var env = StreamExecutionEnvironment.Create(defaultParallelism: 2);
        var strategy = WatermarkStrategy<Event>.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(Jitter)).WithTimestampAssigner(e => e.Time);
        env.FromCollection(left, "left").AssignTimestampsAndWatermarks(strategy)
            .Join(env.FromCollection(right, "right").AssignTimestampsAndWatermarks(strategy))
            .Where(l => l.Key)
            .EqualTo(r => r.Key)
            .Window(TumblingEventTimeWindows.Of(TimeSpan.FromSeconds(1)))
            .Apply((l, r) => (l.Time, r.Time, l.Key))
            .AddSink(new CollectingSink<(long, long, int)>(sink));
        await RunAsync<object>(silo, env.Build("window-join"), "unused");

        var expected = from l in left
                       from r in right
                       where l.Key == r.Key && l.Time / 1000 == r.Time / 1000
                       select (l.Time, r.Time, l.Key);
        Assert.Equal(expected.Order(), CollectedResults<(long, long, int)>.Get(sink).Records.Order());
    }

    [Fact]
    public async Task An_interval_join_emits_every_pair_within_the_bounds()
    {
        await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "50ms"));
        var left = Events(21, 500, keys: 4, step: 10, Jitter);
        var right = Events(22, 500, keys: 4, step: 10, Jitter);
        var sink = Sink("interval-join");
        var env = StreamExecutionEnvironment.Create(defaultParallelism: 2);
        var strategy = WatermarkStrategy<Event>.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(Jitter)).WithTimestampAssigner(e => e.Time);
        env.FromCollection(left, "left").AssignTimestampsAndWatermarks(strategy).KeyBy(e => e.Key)
            .IntervalJoin(env.FromCollection(right, "right").AssignTimestampsAndWatermarks(strategy).KeyBy(e => e.Key))
            .Between(TimeSpan.FromMilliseconds(-30), TimeSpan.FromMilliseconds(50))
            .Process((l, r) => (l.Time, r.Time, l.Key))
            .AddSink(new CollectingSink<(long, long, int)>(sink));
        await RunAsync<object>(silo, env.Build("interval-join"), "unused");

        var expected = from l in left
                       from r in right
                       where l.Key == r.Key && r.Time >= l.Time - 30 && r.Time <= l.Time + 50
                       select (l.Time, r.Time, l.Key);
        Assert.Equal(expected.Order(), CollectedResults<(long, long, int)>.Get(sink).Records.Order());
    }
}
