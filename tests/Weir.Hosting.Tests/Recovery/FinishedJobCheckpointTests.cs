using System.Diagnostics;
using Weir.Checkpointing.Recovery;
using Weir.Hosting.Grains;
using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.Graph;
using Weir.Streaming.Inspection;
using Weir.Streaming.Sources;
using Weir.Streaming.State;
using Weir.Storage.FileSystem;
using Xunit.Abstractions;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// The checkpoint a finished bounded job leaves (retained on cancellation) holds its final state: its
/// sources ended after a final checkpoint, and no checkpoint is triggered after that, when no barrier
/// could reach the tasks downstream and they would only acknowledge, as they finished, with nothing.
/// Stopping such a job with a savepoint then takes none and names that final checkpoint at once.
/// </summary>
public sealed class FinishedJobCheckpointTests(ITestOutputHelper output)
{
    private static readonly SumJob Sums = new("finished-sums", Partitions: 4, PerPartition: 5_000, Keys: 9);

    [Fact]
    public async Task The_checkpoint_a_finished_job_leaves_holds_the_sums_over_all_input()
    {
        await using var silo = await TestSilo.StartAsync(
            ("execution.checkpointing.interval", "20ms"),
            ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"));
        var store = new FileSystemCheckpointStore(silo.CheckpointDirectory);

        // A slow last step keeps the job running for a while after its sources ended.
        var job = await silo.Jobs.SubmitAsync(Sums.Build(parallelism: 2, rate: 1_000_000, $"finished-{Guid.NewGuid():N}", spinMicros: 5));
        var status = await job.WaitForTerminationAsync().Within("the job finishes", TimeSpan.FromSeconds(60));

        var checkpoint = await CheckpointLocator.FindLatestAsync(store, "finished-sums") ?? throw new InvalidOperationException("No checkpoint was retained.");
        var state = await CheckpointReader.ReadKeyedValueStateAsync<int, (int Key, long Value)>(store, checkpoint.Metadata, "sum", "reduce");
        var sums = state.ToDictionary(kv => kv.Key, kv => kv.Value.Value);
        output.WriteLine($"job {status.State}, checkpoints completed={status.Checkpoints.Completed}; the one left, {checkpoint.CheckpointId}, holds {sums.Count} keys' sums ({checkpoint.Metadata.StateSize} bytes)");
        Assert.Equal(JobState.Finished, status.State);
        Assert.Equal(Sums.Totals().OrderBy(kv => kv.Key), sums.OrderBy(kv => kv.Key));
    }

    [Fact]
    public async Task Stopping_a_job_whose_sources_ended_returns_at_once_and_its_last_checkpoint_holds_all_input()
    {
        const int Keys = 6;
        await using var silo = await TestSilo.StartAsync(
            ("execution.checkpointing.interval", "20ms"),
            ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"));
        var store = new FileSystemCheckpointStore(silo.CheckpointDirectory);
        var jobId = $"stop-ended-{Guid.NewGuid():N}";

        // The sink's end of input takes five seconds (a last flush): the job runs on that long after its final checkpoint.
        var job = await silo.Jobs.SubmitAsync(CountsIntoSlowFinish(Keys, perKey: 1_000, TimeSpan.FromSeconds(5)), new JobSubmitOptions(jobId));
        var coordinator = silo.Services.GetGrainFactory().GetGrain<ICheckpointCoordinatorGrain>(jobId);
        await Eventually.Until(() => coordinator.IsInputEndedAsync().Result, "every source ended its stream", TimeSpan.FromSeconds(60));

        var stopping = Stopwatch.StartNew();
        await job.StopAsync();
        stopping.Stop();
        var status = await job.GetStatusAsync();
        var checkpoint = await CheckpointLocator.FindLatestAsync(store, jobId) ?? throw new InvalidOperationException("No checkpoint was retained.");
        var counts = await CheckpointReader.ReadKeyedValueStateAsync<int, long>(store, checkpoint.Metadata, "count", "count");
        output.WriteLine($"stop took {stopping.ElapsedMilliseconds} ms; job {status.State}; checkpoint left {checkpoint.CheckpointId} ({checkpoint.Metadata.Kind}) holds counts {string.Join(", ", counts.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}:{kv.Value}"))}");

        // Cancelled in the sink's last flush (the cancellation waits for that call to return: up to five seconds).
        // A savepoint asked for then waited its minute and found none.
        Assert.Equal(JobState.Canceled, status.State);
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(30), $"stop took {stopping.Elapsed}: it waited for a savepoint no source could start");
        Assert.Equal(Enumerable.Range(0, Keys).ToDictionary(k => k, _ => 1_000L), counts);
    }

    /// <summary>Counts per key (keyed value state "count"), each emitted by an event-time timer at the end of input, into a sink whose <see cref="SinkFunction{T}.Finish"/> takes <paramref name="finish"/>.</summary>
    private static JobGraph CountsIntoSlowFinish(int keys, long perKey, TimeSpan finish)
    {
        var env = StreamExecutionEnvironment.Create(1);
        env.AddSource(new GeneratorSource<int>((_, i) => (int)(i % keys), 1, keys * perKey, 1_000_000), "keys")
            .Uid("keys")
            .KeyBy(k => k)
            .Process(new CountAtEnd(), "count")
            .Uid("count")
            .AddSink(new SlowFinishSink(finish))
            .Uid("flush");
        return env.Build("stop-ended");
    }

    private sealed class CountAtEnd : KeyedProcessFunction<int, int, (int Key, long Count)>
    {
        private IValueState<long>? _count;

        public override void Open(IKeyedRuntimeContext context) => _count = context.GetState(new ValueStateDescriptor<long>("count"));

        public override void ProcessElement(int value, Context context, ICollector<(int Key, long Count)> output)
        {
            if (_count!.Value == 0)
            {
                context.TimerService.RegisterEventTimeTimer(long.MaxValue - 1);
            }

            _count.Update(_count.Value + 1);
        }

        public override void OnTimer(long timestamp, Context context, ICollector<(int Key, long Count)> output) =>
            output.Collect((context.CurrentKey, _count!.Value));
    }

    private sealed class SlowFinishSink(TimeSpan finish) : SinkFunction<(int Key, long Count)>
    {
        public override void Invoke((int Key, long Count) value, long? timestamp)
        {
        }

        public override void Finish() => Thread.Sleep(finish);
    }
}
