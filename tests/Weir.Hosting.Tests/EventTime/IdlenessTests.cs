using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.Sinks;
using Weir.Streaming.Watermarks;
using Weir.Streaming.Windowing;
using static Weir.Hosting.Tests.EventTime.EventTimeTestKit;

namespace Weir.Hosting.Tests.EventTime;

/// <summary>An idle source partition must not hold event time back once it is marked idle.</summary>
public sealed class IdlenessTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Windows_fire_while_a_partition_is_idle_only_with_idleness(int parallelism)
    {
        await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "50ms"));
        var withIdleness = await FiredWhileRunningAsync(silo, parallelism, idle: TimeSpan.FromMilliseconds(200));
        var without = await FiredWhileRunningAsync(silo, parallelism, idle: null);

        Assert.True(withIdleness > 0, "with idleness, windows should fire while partition 1 is silent");
        Assert.Equal(0, without);
    }

    /// <summary>Runs 2 partitions (partition 1 silent) for a while and counts window results committed meanwhile.</summary>
    private static async Task<int> FiredWhileRunningAsync(TestSilo silo, int parallelism, TimeSpan? idle)
    {
        var sink = Sink("idleness");
        var strategy = WatermarkStrategy<Event>.ForMonotonousTimestamps().WithTimestampAssigner(e => e.Time);
        if (idle is { } timeout)
        {
            strategy = strategy.WithIdleness(timeout);
        }

        var env = StreamExecutionEnvironment.Create(parallelism);
        env.AutoWatermarkInterval = TimeSpan.FromMilliseconds(20);
        env.AddSource(new OneSilentPartition(), "events", strategy)
            .KeyBy(e => e.Key)
            .Window(TumblingEventTimeWindows.Of(TimeSpan.FromMilliseconds(100)))
            .Aggregate(Count())
            .AddSink(new CollectingSink<long>(sink));
        var job = await silo.Jobs.SubmitAsync(env.Build(sink), new JobSubmitOptions(JobId: sink));
        try
        {
            // Partition 0's events reach event time 1,000 ms after about a second: enough for several windows.
            await Eventually.Until(() => job.GetStatusAsync().Result.Checkpoints.Completed >= 25, "25 checkpoints", TimeSpan.FromSeconds(30));
            return CollectedResults<long>.Get(sink).Records.Count;
        }
        finally
        {
            await job.CancelAsync();
        }
    }

    /// <summary>Partition 0 emits an event per 1 ms of wall time (event time 10 ms apart); partition 1 never emits.</summary>
    private sealed class OneSilentPartition : SourceFunction<Event, int>
    {
        private IReadOnlyList<int> _splits = [];
        private SourceContext? _context;
        private long _started;
        private long _next;

        public override IEnumerable<int> CreateSplits(int subtaskIndex, int parallelism) =>
            Enumerable.Range(0, 2).Where(p => p % parallelism == subtaskIndex);

        public override void Open(IReadOnlyList<int> splits, SourceContext context)
        {
            (_splits, _context) = (splits, context);
            _started = context.Clock.GetTimestamp();
        }

        public override SourceStatus Poll(ISourceOutput<Event> output, int maxRecords)
        {
            var index = _splits.ToList().IndexOf(0);
            if (index < 0)
            {
                return SourceStatus.NothingAvailableFor(TimeSpan.FromMilliseconds(50));
            }

            var due = (long)_context!.Clock.GetElapsedTime(_started).TotalMilliseconds;
            output.CurrentSplit = index;
            for (; _next < due && maxRecords-- > 0; _next++)
            {
                output.Collect(new Event(0, 1, _next * 10));
            }

            return SourceStatus.NothingAvailableFor(TimeSpan.FromMilliseconds(5));
        }

        public override IEnumerable<int> SnapshotSplits() => _splits;
    }
}
