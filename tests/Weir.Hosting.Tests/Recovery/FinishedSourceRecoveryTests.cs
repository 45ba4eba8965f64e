using Weir.Checkpointing.Recovery;
using Weir.Hosting.Grains;
using Weir.Storage.FileSystem;
using Weir.Streaming.Api;
using Weir.Streaming.Sinks;
using Weir.Streaming.Sources;
using Xunit.Abstractions;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// A job with two sources, one of which finishes long before the other: a failure after the short
/// source finished is recovered from a checkpoint taken after that, and the short source's records
/// must not be read again (exactly-once: the sums over both inputs, each record once). The finished
/// source has no state in those checkpoints; restored, its operator has no splits left.
/// </summary>
public sealed class FinishedSourceRecoveryTests(ITestOutputHelper output)
{
    private const long ShortRecords = 1_000;
    private const long LongRecords = 20_000;
    private const int Keys = 7;

    [Fact]
    public async Task A_failure_after_one_source_finished_does_not_replay_that_sources_records()
    {
        await using var silo = await TestSilo.StartAsync(
            ("execution.checkpointing.interval", "50ms"),
            ("restart-strategy.type", "fixed-delay"),
            ("restart-strategy.fixed-delay.attempts", "3"),
            ("restart-strategy.fixed-delay.delay", "20ms"));
        var sink = $"finished-source-{Guid.NewGuid():N}";
        var failure = new Failure();

        var env = StreamExecutionEnvironment.Create(1);
        var shortInput = env.AddSource(new GeneratorSource<(int Key, long Value)>(Record, 1, ShortRecords, 1_000_000), "short").Uid("short");
        var longInput = env.AddSource(
            new TailHeldSource<(int Key, long Value)>(() => new GeneratorSource<(int Key, long Value)>(Record, 1, LongRecords, 20_000), LongRecords, () => failure.Injected),
            "long").Uid("long");
        shortInput.Union(longInput)
            .KeyBy(r => r.Key)
            .Reduce((a, b) => (a.Key, a.Value + b.Value), "sum")
            .Uid("sum")
            .Map(r => failure.MaybeThrow(r), "fail")
            .Uid("fail")
            .AddSink(new CollectingSink<(int Key, long Value)>(sink))
            .Uid("collect");
        var job = await silo.Jobs.SubmitAsync(env.Build("finished-source"));

        // The short source ends within milliseconds (and its final checkpoint soon after); the long one trickles.
        await Eventually.Until(() => job.GetStatusAsync().Result.Checkpoints.Completed >= 10, "ten checkpoints", TimeSpan.FromSeconds(60));
        // The checkpoint the job will restore holds no subtask of the short source (finished, it acknowledged
        // nothing): restored, it has no splits left to read.
        var latest = await CheckpointLocator.FindLatestAsync(new FileSystemCheckpointStore(silo.CheckpointDirectory), "finished-source");
        Assert.Empty(Assert.Single(latest!.Metadata.Operators, o => o.OperatorUid == "short").Subtasks);
        failure.Arm();
        var status = await job.WaitForTerminationAsync().Within("the job finishes", TimeSpan.FromSeconds(90));

        var expected = Enumerable.Range(0, (int)ShortRecords).Select(i => Record(0, i))
            .Concat(Enumerable.Range(0, (int)LongRecords).Select(i => Record(0, i)))
            .GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Sum(r => r.Value));
        var finals = SumJob.Finals(CollectedResults<(int Key, long Value)>.Get(sink).Records);
        output.WriteLine($"records in={ShortRecords + LongRecords}; failures injected={(failure.Injected ? 1 : 0)} observed={status.Restarts}; restored from checkpoint {status.RestoredCheckpointId}; sums over all keys: expected {expected.Values.Sum()}, got {finals.Values.Sum()}");
        Assert.Equal(JobState.Finished, status.State);
        Assert.True(failure.Injected);
        Assert.Equal(1, status.Restarts);
        Assert.Equal(expected.OrderBy(kv => kv.Key), finals.OrderBy(kv => kv.Key));
    }

    private static (int Key, long Value) Record(int partition, long index) => ((int)(index % Keys), (index % 13) + 1);

    /// <summary>Throws once, on the first record after <see cref="Arm"/>.</summary>
    private sealed class Failure
    {
        private volatile bool _armed;
        private volatile bool _injected;

        public bool Injected => _injected;

        public void Arm() => _armed = true;

        public (int Key, long Value) MaybeThrow((int Key, long Value) record)
        {
            if (_armed && !_injected)
            {
                _injected = true;
                throw new InvalidOperationException("injected failure");
            }

            return record;
        }
    }
}
