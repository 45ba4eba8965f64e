using Weir.Checkpointing.Recovery;
using Weir.Hosting.Grains;
using Weir.Hosting.Jobs;
using Weir.Jobs;
using Weir.Storage;
using Weir.Storage.Tests.AzureBlob;
using Xunit.Abstractions;

namespace Weir.Integration.Tests;

/// <summary>
/// The exactly-once verifier with its checkpoints in Azurite, while subtasks fail on a period, with
/// full and with incremental checkpoints (then <c>shared/</c> must end up holding exactly the
/// blobs the retained checkpoints name).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class ExactlyOnceOnAzuriteTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_exactly_once_check_loses_duplicates_and_reorders_nothing_with_checkpoints_in_azurite_under_injected_failures(bool incremental)
    {
        await using var silo = await AzuriteSilo.StartAsync(
            azurite,
            AzuriteFixture.NewContainerName("exactly-once"),
            [
                ("execution.checkpointing.interval", "200ms"),
                ("execution.checkpointing.num-retained", "2"),
                ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"),
                ("execution.checkpointing.incremental", incremental ? "true" : "false"),
                ("state.changelog.max-delta-chain-length", "3"),
            ]);
        var parameters = new JobParameters(Parallelism: 2, RecordsPerSecond: 40_000, FailEvery: TimeSpan.FromSeconds(1.5), Seed: 5, Partitions: 8);
        var (job, run, options) = await silo.SubmitAsync(new ExactlyOnceCheckJob(), parameters, "exactly-once-azurite");
        var check = (ExactlyOnceCheckJob.Run)run;

        var injection = run.Start(job, TimeProvider.System)!;
        await Task.Delay(TimeSpan.FromSeconds(9));
        await injection.DisposeAsync();
        var final = await silo.StopWithCheckpointAsync(job, TimeSpan.FromSeconds(30));
        await job.CancelAsync();
        var status = await job.GetStatusAsync();
        var verdict = await ExactlyOnceCheckJob.VerifyAsync(new JobReportContext(status, final, silo.Store, options.Checkpointing.Mode), check.Injector.Injected);

        output.WriteLine(verdict.Line(status.Restarts));
        output.WriteLine($"checkpoints completed={status.Checkpoints.Completed} failed={status.Checkpoints.Failed}; final checkpoint {final?.CheckpointId} at {silo.Store.Location}{final?.MetadataPath}");
        Assert.Equal(JobState.Canceled, status.State);
        Assert.True(verdict.Complete, "no final checkpoint completed");
        Assert.StartsWith(azurite.BlobEndpoint.ToString(), silo.Store.Location.ToString());
        Assert.True(verdict.Records > 10_000, $"only {verdict.Records} records went through");
        Assert.True(verdict.Failures >= 4, $"only {verdict.Failures} failures were injected");
        Assert.True(status.Restarts >= 4, $"only {status.Restarts} restarts");
        Assert.True(status.Checkpoints.Completed >= 5, $"only {status.Checkpoints.Completed} checkpoints completed");
        Assert.Equal(0, verdict.Lost);
        Assert.Equal(0, verdict.Duplicated);
        Assert.Equal(0, verdict.OutOfOrder);

        var sharedFiles = await SharedFilesAreExactlyReferencedAsync(silo.Store, "exactly-once-azurite");
        output.WriteLine($"{(incremental ? "incremental" : "full")} checkpoints: {sharedFiles} blobs in shared/, exactly those the retained checkpoints name");
        Assert.Equal(incremental, sharedFiles > 0);
    }

    /// <summary>Waits until the blobs in shared/ are exactly those the complete checkpoints name; returns how many.</summary>
    private static async Task<int> SharedFilesAreExactlyReferencedAsync(ICheckpointStore store, string jobId)
    {
        var deadline = DateTime.UtcNow + Eventually.DefaultTimeout;
        while (true)
        {
            var referenced = new HashSet<string>(StringComparer.Ordinal);
            foreach (var id in await CheckpointLocator.ListCheckpointIdsAsync(store, jobId))
            {
                if (await CheckpointLocator.TryLoadAsync(store, CheckpointLayout.MetadataPath(jobId, id)) is { } checkpoint)
                {
                    referenced.UnionWith(checkpoint.Metadata.ReferencedFiles().Where(CheckpointLayout.IsSharedFile));
                }
            }

            var stored = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var file in store.ListFilesAsync(CheckpointLayout.SharedDirectory(jobId)))
            {
                stored.Add(file.Path);
            }

            if (stored.SetEquals(referenced))
            {
                return stored.Count;
            }

            Assert.True(DateTime.UtcNow < deadline, $"shared/ holds {stored.Count} blobs, complete checkpoints name {referenced.Count}; leaked: [{string.Join(", ", stored.Except(referenced))}]; missing: [{string.Join(", ", referenced.Except(stored))}]");
            await Task.Delay(50);
        }
    }
}
