using Weir.Checkpointing.Metadata;
using Weir.Grains;
using Weir.Hosting.Grains;
using Weir.Jobs;
using Weir.Storage;
using Weir.Streaming.Sinks;
using Xunit.Abstractions;
using static Weir.Jobs.ExactlyOnceCheckJob;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// Stop a job at one parallelism with a checkpoint, restore it at another: keyed state moves by
/// key groups, source splits and pending sink transactions are redistributed, and the output of
/// both runs together equals the input, with no duplicates. With incremental checkpoints, key
/// groups move with their chains; NO_CLAIM leaves the restored checkpoint's files untouched (the
/// second run's first checkpoint names none of them), CLAIM lets the second run delete them once
/// unused; either way <c>shared/</c> ends up holding exactly what the complete checkpoints name.
/// </summary>
public sealed class RescaleTests(ITestOutputHelper output)
{
    private const int Partitions = 8;
    private const long PerPartition = 2_000;

    [Theory]
    [InlineData(4, 3, false, "NO_CLAIM")]
    [InlineData(3, 4, false, "NO_CLAIM")]
    [InlineData(1, 4, false, "NO_CLAIM")]
    [InlineData(4, 1, false, "NO_CLAIM")]
    [InlineData(4, 3, true, "NO_CLAIM")]
    [InlineData(1, 4, true, "NO_CLAIM")]
    [InlineData(3, 4, true, "CLAIM")]
    [InlineData(4, 1, true, "CLAIM")]
    public async Task Restoring_at_another_parallelism_loses_and_duplicates_nothing(int from, int to, bool incremental, string claimMode)
    {
        await using var silo = await TestSilo.StartAsync(
            ("execution.checkpointing.interval", "50ms"),
            ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"),
            ("execution.checkpointing.incremental", incremental ? "true" : "false"),
            ("state.changelog.max-delta-chain-length", "2"),
            ("execution.state-recovery.claim-mode", claimMode));
        var sink = $"rescale-{from}-{to}-{(incremental ? "incremental" : "full")}-{claimMode}";
        CollectedResults<SequenceRecord>.Reset(sink);
        var injector = new FailureInjector([], seed: 1);

        // First run: a slow source, stopped part-way with a checkpoint.
        var first = await silo.Jobs.SubmitAsync(SequenceJob.Build("rescale", from, Partitions, PerPartition, Partitions * PerPartition / from / 10.0, injector, sink));
        await Eventually.Until(() => first.GetStatusAsync().Result.Checkpoints.Completed >= 3, "three checkpoints", TimeSpan.FromSeconds(30));
        var coordinator = silo.Services.GetGrainFactory().GetGrain<ICheckpointCoordinatorGrain>(first.JobId);
        var id = await coordinator.TriggerAsync(CheckpointKind.Checkpoint) ?? throw new InvalidOperationException("The job did not take a checkpoint.");
        await Eventually.Until(() => coordinator.GetLatestCompletedAsync().Result?.CheckpointId >= id, $"checkpoint {id} completes");
        await first.CancelAsync();
        var committedInFirstRun = CollectedResults<SequenceRecord>.Get(sink).Records.Count;
        Assert.InRange(committedInFirstRun, 1, Partitions * PerPartition - 1);

        // Second run: restore the retained checkpoint (id or a later periodic one) at the new parallelism and read to the end.
        var store = new Weir.Storage.FileSystem.FileSystemCheckpointStore(silo.CheckpointDirectory);
        var retained = await Weir.Checkpointing.Recovery.CheckpointLocator.FindLatestAsync(store, "rescale") ?? throw new InvalidOperationException("No checkpoint was retained.");
        Assert.True(retained.CheckpointId >= id);
        var restoredFiles = retained.Metadata.ReferencedFiles().Where(CheckpointLayout.IsSharedFile).ToHashSet();
        Assert.Equal(incremental, restoredFiles.Count > 0);
        var path = Path.Combine(silo.CheckpointDirectory, "rescale", $"chk-{retained.CheckpointId}");
        var second = await silo.Jobs.SubmitAsync(
            SequenceJob.Build("rescale", to, Partitions, PerPartition, Partitions * PerPartition / to * 2.0, injector, sink),
            new JobSubmitOptions(RestorePath: path));
        var status = await second.WaitForTerminationAsync().Within("the restored job finishes", TimeSpan.FromSeconds(60));

        var verdict = SequenceJob.Verify(CollectedResults<SequenceRecord>.Get(sink).Records, Partitions, PerPartition);
        output.WriteLine($"{from} -> {to}: restored checkpoint {retained.CheckpointId}; committed before stop={committedInFirstRun}; {verdict}");
        Assert.Equal(JobState.Finished, status.State);
        Assert.Equal(retained.CheckpointId, status.RestoredCheckpointId);
        Assert.Equal(verdict.RecordsIn, verdict.RecordsOut);
        Assert.Equal(0, verdict.Lost);
        Assert.Equal(0, verdict.Duplicated);
        Assert.Equal(0, verdict.OutOfOrder);
        Assert.Equal(0, verdict.WrongRunningCount);

        if (incremental)
        {
            var (files, deltas, newest, _) = await SharedStateAssert.ExactlyReferencedAsync(store, "rescale");
            var left = (await SharedStateAssert.SharedFilesAsync(store, "rescale")).Intersect(restoredFiles).Count();
            output.WriteLine($"shared/ after the second run: {files} files, exactly those the complete checkpoints name (newest {newest}, {deltas} delta segments); {left} of the {restoredFiles.Count} files of restored checkpoint {retained.CheckpointId} left ({claimMode})");
            if (claimMode == "NO_CLAIM")
            {
                Assert.Equal(restoredFiles.Count, left);
                var newestMetadata = (await Weir.Checkpointing.Recovery.CheckpointLocator.LoadAsync(store, CheckpointLayout.MetadataPath("rescale", newest))).Metadata;
                Assert.Empty(newestMetadata.ReferencedFiles().Intersect(restoredFiles));
            }
            else
            {
                Assert.Null(await store.GetFileAsync(CheckpointLayout.MetadataPath("rescale", retained.CheckpointId)));
            }
        }
    }
}
