using Weir.Checkpointing.Configuration;
using Weir.Checkpointing.Metadata;
using Weir.Hosting.Grains;
using Weir.Storage.FileSystem;
using Weir.Jobs;
using Weir.Streaming.Sinks;
using Weir.Streaming.State;
using Xunit.Abstractions;
using static Weir.Jobs.ExactlyOnceCheckJob;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// Failures injected in record processing, snapshots, restores and close, after a set number of
/// completed checkpoints, at parallelism 1, 2 and 4, exactly-once and at-least-once, with full and
/// with incremental checkpoints. Each test states its figures and asserts: records in = records out
/// with nothing lost, duplicated or out of order (exactly-once; at-least-once: nothing lost), and
/// failures observed = failures injected. With incremental checkpoints (short chains, so that
/// materializations run too) it also asserts that <c>shared/</c> ends up holding exactly the files
/// the retained checkpoint names. Exactly-once also runs with unaligned checkpoints (full, and
/// incremental at parallelism 2), whose restores replay the records in flight at the cut, and with
/// a 1 ms alignment timeout (full, parallelism 2 and 4), where a checkpoint's barriers start aligned
/// and those that wait turn unaligned, so a task may take a checkpoint partly aligned.
/// </summary>
public sealed class FaultInjectionTests(ITestOutputHelper output) : IClassFixture<WarmRuntime>
{
    private const int Partitions = 8;
    private const long PerPartition = 3_000;

    /// <summary>The last parameter: null for aligned checkpoints, else <c>aligned-checkpoint-timeout</c> with unaligned checkpoints on (0ms: unaligned from the start).</summary>
    public static TheoryData<FailurePoint, int, CheckpointingMode, bool, string?> Cases()
    {
        var data = new TheoryData<FailurePoint, int, CheckpointingMode, bool, string?>();
        foreach (var incremental in new[] { false, true })
        {
            foreach (var point in new[] { FailurePoint.Process, FailurePoint.Snapshot, FailurePoint.Restore, FailurePoint.Close })
            {
                foreach (var parallelism in new[] { 1, 2, 4 })
                {
                    foreach (var mode in new[] { CheckpointingMode.ExactlyOnce, CheckpointingMode.AtLeastOnce })
                    {
                        data.Add(point, parallelism, mode, incremental, null);
                    }

                    if (!incremental || parallelism == 2)
                    {
                        data.Add(point, parallelism, CheckpointingMode.ExactlyOnce, incremental, "0ms");
                    }

                    if (!incremental && parallelism > 1 && point is FailurePoint.Process or FailurePoint.Restore)
                    {
                        data.Add(point, parallelism, CheckpointingMode.ExactlyOnce, incremental, "1ms");
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_failure_is_recovered_from_the_latest_checkpoint_without_loss(FailurePoint point, int parallelism, CheckpointingMode mode, bool incremental, string? unaligned)
    {
        (string, string)[] incrementalSettings = incremental
            ? [("execution.checkpointing.incremental", "true"), ("state.changelog.max-delta-chain-length", "2"), ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")]
            : [];
        (string, string)[] unalignedSettings = unaligned is null ? [] : [("execution.checkpointing.unaligned.enabled", "true"), ("execution.checkpointing.aligned-checkpoint-timeout", unaligned)];
        await using var silo = await TestSilo.StartAsync(
        [
            ("execution.checkpointing.interval", "50ms"),
            ("execution.checkpointing.mode", mode == CheckpointingMode.ExactlyOnce ? "EXACTLY_ONCE" : "AT_LEAST_ONCE"),
            ("restart-strategy.type", "fixed-delay"),
            ("restart-strategy.fixed-delay.attempts", "5"),
            ("restart-strategy.fixed-delay.delay", "20ms"),
            .. incrementalSettings,
            .. unalignedSettings,
        ]);
        var kind = (incremental ? "incremental" : "full") + unaligned switch { null => string.Empty, "0ms" => " unaligned", _ => $" unaligned after {unaligned}" };
        var sink = $"faults-{point}-{parallelism}-{mode}-{kind}";
        CollectedResults<SequenceRecord>.Reset(sink);
        var injector = new FailureInjector([(SequenceJob.CountUid, parallelism)], seed: parallelism);

        // About one second of input per subtask, so several checkpoints complete before and after the failure.
        var rate = Partitions * PerPartition / parallelism / 1.0;
        var expected = point == FailurePoint.Restore ? 2 : 1;
        // The input's last quarter waits for the failures (but one at close, which needs the end of input).
        Func<bool>? tailReleased = point == FailurePoint.Close ? null : () => injector.Injected >= expected;
        var graph = SequenceJob.Build(sink, parallelism, Partitions, PerPartition, rate, injector, sink, tailReleased);
        // The subtask that owns partition 0's key group, so it surely processes records.
        var target = KeyGroupRange.SubtaskFor(KeyGroupAssigner.KeyGroupFor(0, 128), 128, parallelism);
        // "At a set checkpoint count": live once the target subtask took two snapshots.
        if (point == FailurePoint.Restore)
        {
            injector.Arm(FailurePoint.Process, SequenceJob.CountUid, target, afterCheckpoints: 2);
        }

        injector.Arm(point, SequenceJob.CountUid, target, afterCheckpoints: point == FailurePoint.Close ? 0 : 2);
        var job = await silo.Jobs.SubmitAsync(graph);
        var status = await job.WaitForTerminationAsync().Within("the job finishes", TimeSpan.FromSeconds(90));
        var verdict = SequenceJob.Verify(CollectedResults<SequenceRecord>.Get(sink).Records, Partitions, PerPartition);
        output.WriteLine($"{point} p={parallelism} {mode} {kind}: {verdict}; failures injected={injector.Injected} observed={status.Restarts}; checkpoints completed={status.Checkpoints.Completed} (with records in flight {status.Checkpoints.CompletedWithRecordsInFlight}) failed={status.Checkpoints.Failed}");

        Assert.Equal(JobState.Finished, status.State);
        Assert.Equal(expected, injector.Injected);
        Assert.Equal(injector.Injected, status.Restarts);
        Assert.Equal(0, verdict.Lost);
        if (mode == CheckpointingMode.ExactlyOnce)
        {
            Assert.Equal(verdict.RecordsIn, verdict.RecordsOut);
            Assert.Equal(0, verdict.Duplicated);
            Assert.Equal(0, verdict.OutOfOrder);
            Assert.Equal(0, verdict.WrongRunningCount);
        }

        if (incremental)
        {
            var (files, deltas, newest, keyed) = await SharedStateAssert.ExactlyReferencedAsync(new FileSystemCheckpointStore(silo.CheckpointDirectory), sink);
            output.WriteLine($"shared/ after the job: {files} files, exactly those retained checkpoint {newest} names ({deltas} delta segments{(keyed ? string.Empty : "; taken after the keyed subtasks finished, it holds no keyed state")})");
            Assert.True(files > 0 || !keyed, "the retained checkpoint holds keyed state but names no shared file: checkpoints were not incremental");
        }
    }
}
