using System.Diagnostics;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Recovery;
using Weir.Hosting;
using Weir.Hosting.Grains;
using Weir.Jobs;
using Weir.Storage;
using Weir.Storage.Tests.AzureBlob;
using Xunit.Abstractions;

namespace Weir.Integration.Tests;

/// <summary>
/// Two silos run the same job on the same Azurite checkpoint directory, as two revisions do
/// during an Azure Container Apps rollout: the coordinators' lease decides which one completes
/// checkpoints.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class CoordinatorFencingOnAzuriteTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private const string JobId = "fenced";

    private static readonly (string, string)[] Settings =
    [
        ("execution.checkpointing.interval", "100ms"),
        ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"),
        ("execution.checkpointing.lease-acquire-timeout", "2s"),
    ];

    [Fact]
    public async Task A_second_coordinator_cannot_take_the_lease_and_a_coordinator_whose_lease_is_broken_stops_without_writing_metadata()
    {
        var container = AzuriteFixture.NewContainerName("fencing");
        await using var first = await AzuriteSilo.StartAsync(azurite, container, Settings);
        await using var second = await AzuriteSilo.StartAsync(azurite, container, Settings);
        var leaseLocation = $"{first.Store.Location}{JobId}/{CoordinatorLease.FileName}";
        var parameters = new JobParameters(Parallelism: 1, RecordsPerSecond: 20_000);
        var (firstJob, _, _) = await first.SubmitAsync(new WordCountJob(), parameters, JobId);
        await CompletedAsync(firstJob, 3);

        // The second revision's coordinator waits for the lease, then gives up; its job fails without restarts.
        var (secondJob, _, _) = await second.SubmitAsync(new WordCountJob(), parameters, JobId);
        var refused = await secondJob.WaitForTerminationAsync().Within("the second job gives up on the lease", TimeSpan.FromSeconds(15));
        output.WriteLine($"second: {refused.State}, restarts {refused.Restarts}, checkpoints completed {refused.Checkpoints.Completed}: {refused.FailureCause}");
        Assert.Equal(JobState.Failed, refused.State);
        Assert.Equal(0, refused.Restarts);
        Assert.Equal(0, refused.Checkpoints.Completed);
        Assert.StartsWith(
            $"Checkpoint coordinator of job '{JobId}' could not acquire its lease on {leaseLocation} within 2 s (execution.checkpointing.lease-acquire-timeout): another coordinator of the job holds it. Stopping so that only one coordinator completes checkpoints.",
            refused.FailureCause);
        var before = (await firstJob.GetStatusAsync()).Checkpoints.Completed;
        await CompletedAsync(firstJob, before + 2);

        // Someone breaks the first coordinator's lease and takes it: the first stops at its next _metadata write.
        await azurite.CreateClient().BreakLeaseAsync(container, $"checkpoints/{JobId}/{CoordinatorLease.FileName}", TimeSpan.Zero);
        await using var usurper = await second.Store.AcquireLeaseAsync($"{JobId}/{CoordinatorLease.FileName}", TimeSpan.FromSeconds(60));
        var broken = Stopwatch.StartNew();
        var fenced = await firstJob.WaitForTerminationAsync().Within("the first job stops after losing its lease", TimeSpan.FromSeconds(15));
        output.WriteLine($"first: {fenced.State} {broken.ElapsedMilliseconds} ms after the lease was taken, restarts {fenced.Restarts}, checkpoints completed {fenced.Checkpoints.Completed} (latest {fenced.Checkpoints.LatestId}): {fenced.FailureCause}");

        Assert.Equal(JobState.Failed, fenced.State);
        Assert.Equal(0, fenced.Restarts);
        Assert.StartsWith(
            $"Checkpoint coordinator of job '{JobId}' lost its lease on {leaseLocation} to another coordinator: stopping so that only one coordinator completes checkpoints.",
            fenced.FailureCause);

        // No _metadata beyond the last checkpoint it completed before the loss; its checkpoints are kept.
        var store = second.Store;
        var withMetadata = new List<long>();
        foreach (var id in await CheckpointLocator.ListCheckpointIdsAsync(store, JobId))
        {
            if (await store.GetFileAsync(CheckpointLayout.MetadataPath(JobId, id)) is not null)
            {
                withMetadata.Add(id);
            }
        }

        output.WriteLine($"checkpoint directories with _metadata: {string.Join(", ", withMetadata)}");
        Assert.Equal(fenced.Checkpoints.LatestId, withMetadata.Max());
        Assert.NotNull(await CheckpointLocator.FindLatestAsync(store, JobId));
    }

    private static Task CompletedAsync(JobHandle job, int count) =>
        Eventually.Until(() => job.GetStatusAsync().GetAwaiter().GetResult().Checkpoints.Completed >= count, $"{count} checkpoints complete", TimeSpan.FromSeconds(20));
}
