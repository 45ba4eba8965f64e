using System.Collections.Concurrent;
using System.Diagnostics;
using Weir.Checkpointing.Recovery;
using Weir.Hosting.Grains;
using Weir.Storage.FileSystem;
using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.Graph;
using Weir.Streaming.Inspection;
using Weir.Streaming.Sinks;
using Weir.Streaming.Sources;
using Weir.Streaming.Watermarks;
using Xunit.Abstractions;

namespace Weir.Hosting.Tests.EventTime;

/// <summary>
/// With unaligned checkpoints a long firing (one watermark, one timer per key, each timer slow) does
/// not hold a checkpoint back: the task takes the barrier between two timers. That checkpoint holds
/// exactly the timers not yet fired, and a job restored from it commits each timer's output once (the
/// output of those fired before the barrier is the checkpoint's pending transaction).
/// </summary>
public sealed class InterruptedFiringTests(ITestOutputHelper output)
{
    private const int Timers = 20_000;
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<int>> FiredKeys = new();
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<(long CheckpointId, int Fired)>> Snapshots = new();

    [Fact]
    public async Task A_checkpoint_taken_between_two_timers_holds_those_not_fired_and_a_restored_job_commits_each_once()
    {
        await using var silo = await TestSilo.StartAsync(
            ("execution.checkpointing.interval", "50ms"),
            ("execution.checkpointing.unaligned.enabled", "true"),
            ("execution.checkpointing.num-retained", "1000"),
            ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"));
        var name = $"firing-{Guid.NewGuid():N}";

        // 100 µs a timer: the firing takes some two seconds.
        var first = await silo.Jobs.SubmitAsync(TimerJob(name, spinMicros: 100, released: () => FiredKeys.GetValueOrDefault(name)?.Count == Timers));
        (long CheckpointId, int Fired) between = default;
        await Eventually.Until(
            () => (between = Snapshots.GetValueOrDefault(name)?.FirstOrDefault(s => s.Fired is > 0 and < Timers) ?? default).CheckpointId > 0,
            "a snapshot between two timers",
            TimeSpan.FromSeconds(60));
        await Eventually.Until(() => first.GetStatusAsync().Result.Checkpoints.LatestId >= between.CheckpointId, $"checkpoint {between.CheckpointId} completes", TimeSpan.FromSeconds(60));
        await first.CancelAsync();
        var firedBefore = FiredKeys[name].Take(between.Fired).ToHashSet();
        output.WriteLine($"checkpoint {between.CheckpointId} was taken with {between.Fired} of {Timers} timers fired; snapshots: {string.Join(", ", Snapshots[name].Select(s => $"{s.CheckpointId}@{s.Fired}"))}");

        var restored = $"{name}-restored";
        var second = await silo.Jobs.SubmitAsync(TimerJob(restored, spinMicros: 0, released: () => true), new JobSubmitOptions(RestorePath: Path.Combine(silo.CheckpointDirectory, "timers", $"chk-{between.CheckpointId}")));
        var final = await second.WaitForTerminationAsync().Within("the restored job finishes", TimeSpan.FromSeconds(60));

        var store = new FileSystemCheckpointStore(silo.CheckpointDirectory);
        var checkpoint = await CheckpointLocator.LoadAsync(store, $"timers/chk-{between.CheckpointId}/_metadata");
        var timersInState = await CheckpointReader.ReadKeyedValueStateAsync<int, long[]>(store, checkpoint.Metadata, "timers", "_timers-event");
        var committed = CollectedResults<int>.Get(restored).Records;
        output.WriteLine($"its state holds {timersInState.Count} timers; the restored job committed {committed.Count} timers' output ({committed.Distinct().Count()} distinct): the checkpoint's pending transaction and the rest");
        Assert.Equal(JobState.Finished, final.State);
        Assert.Equal(between.CheckpointId, final.RestoredCheckpointId);
        Assert.Equal(between.Fired, firedBefore.Count);
        Assert.Equal(Enumerable.Range(0, Timers).Where(k => !firedBefore.Contains(k)), timersInState.Keys.Order());
        Assert.Equal(Enumerable.Range(0, Timers), committed.Order());
    }

    /// <summary>
    /// Key i at event time 1 registers a timer at 2. Then come records of no key (-1) at time 100, whose watermark
    /// fires every timer at once; they trickle (<see cref="Recovery.TailHeldSource{T}"/>) until <paramref name="released"/>,
    /// so the source still runs, and checkpoints are still triggered, while the firing goes on.
    /// </summary>
    private static JobGraph TimerJob(string name, int spinMicros, Func<bool> released)
    {
        const long Records = Timers + (Timers / 3) + 1;
        var env = StreamExecutionEnvironment.Create(1);
        env.AutoWatermarkInterval = TimeSpan.FromMilliseconds(20);
        GeneratorSource<(int Key, long Time)> Generator() => new((_, i) => i < Timers ? ((int)i, 1L) : (-1, 100L), 1, Records, 1_000_000);
        env.AddSource(
                new Recovery.TailHeldSource<(int Key, long Time)>(Generator, Records, released),
                "keys",
                WatermarkStrategy<(int Key, long Time)>.ForMonotonousTimestamps().WithTimestampAssigner(e => e.Time))
            .Uid("keys")
            .KeyBy(e => e.Key)
            .Process(new SlowTimers(name, spinMicros), "timers")
            .Uid("timers")
            .AddSink(new CollectingSink<int>(name))
            .Uid("sink");
        return env.Build("timers");
    }

    private sealed class SlowTimers(string name, int spinMicros) : KeyedProcessFunction<int, (int Key, long Time), int>
    {
        public override void ProcessElement((int Key, long Time) value, Context context, ICollector<int> output)
        {
            if (value.Key >= 0)
            {
                context.TimerService.RegisterEventTimeTimer(value.Time + 1);
            }
        }

        public override void OnTimer(long timestamp, Context context, ICollector<int> output)
        {
            var until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * spinMicros / 1_000_000);
            while (Stopwatch.GetTimestamp() < until)
            {
            }

            FiredKeys.GetOrAdd(name, _ => new()).Enqueue(context.CurrentKey);
            output.Collect(context.CurrentKey);
        }

        public override void SnapshotState(long checkpointId) =>
            Snapshots.GetOrAdd(name, _ => new()).Enqueue((checkpointId, FiredKeys.GetValueOrDefault(name)?.Count ?? 0));
    }
}
