using Azure.Core;
using Weir.Checkpointing.Recovery;
using Weir.Hosting.Grains;
using Weir.Jobs;
using Weir.Storage;
using Weir.Storage.Checksums;
using Weir.Storage.Tests.AzureBlob;
using Weir.Streaming.Inspection;
using Xunit.Abstractions;

namespace Weir.Integration.Tests;

/// <summary>
/// A job whose checkpoint storage misbehaves: 503s, answers lost after the service applied the
/// request, and connections cut mid-upload on a share of all Blob requests, with one retry each;
/// with full and with incremental checkpoints (a delta or materialization that fails to upload
/// breaks chains, which the next checkpoint repairs by materializing their key groups).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class StorageFaultTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private const int TolerableFailedCheckpoints = 40;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Under_storage_faults_the_job_keeps_running_and_no_checkpoint_is_complete_with_a_missing_or_partial_file(bool incremental)
    {
        var faults = new FaultInjectionPolicy(seed: 17) { ServiceUnavailableShare = 0.06, ResponseTimeoutShare = 0.04, ConnectionCutShare = 0.05 };
        await using var silo = await AzuriteSilo.StartAsync(
            azurite,
            AzuriteFixture.NewContainerName("storage-faults"),
            [
                ("execution.checkpointing.interval", "150ms"),
                ("execution.checkpointing.tolerable-failed-checkpoints", TolerableFailedCheckpoints.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("execution.checkpointing.num-retained", "3"),
                ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"),
                ("restart-strategy.type", "none"),
                ("execution.checkpointing.incremental", incremental ? "true" : "false"),
                ("state.changelog.max-delta-chain-length", "3"),
            ],
            store =>
            {
                store.Client.AddPolicy(faults, HttpPipelinePosition.BeforeTransport);
                store.Client.Retry.MaxRetries = 1;
                store.Client.Retry.Delay = TimeSpan.FromMilliseconds(5);
                store.Client.Retry.MaxDelay = TimeSpan.FromMilliseconds(20);
                // Small blocks, so keyed state files are staged as several Put Blocks and one Put Block List.
                store.BlockSize = 16 * 1024;
            });
        var (job, _, _) = await silo.SubmitAsync(new WordCountJob(), new JobParameters(Parallelism: 2, RecordsPerSecond: 100_000), "wordcount-storage-faults");

        await Task.Delay(TimeSpan.FromSeconds(8));
        var running = await job.GetStatusAsync();
        faults.Enabled = false;
        var final = await silo.StopWithCheckpointAsync(job, TimeSpan.FromSeconds(30));
        await job.CancelAsync();
        var status = await job.GetStatusAsync();

        var audit = await AuditAsync(silo.Store, job.JobId);
        output.WriteLine(
            $"Blob requests {faults.Attempts}, faults injected {faults.InjectedTotal}: 503 {faults.Injected(InjectedFault.ServiceUnavailable)}, lost answers {faults.Injected(InjectedFault.ResponseTimeout)}, cut uploads {faults.Injected(InjectedFault.ConnectionCut)}");
        output.WriteLine(
            $"while faulty: state {running.State}, restarts {running.Restarts}, checkpoints completed {running.Checkpoints.Completed}, failed or aborted {running.Checkpoints.Failed}; tolerable-failed-checkpoints {TolerableFailedCheckpoints}");
        output.WriteLine(
            $"after ({(incremental ? "incremental" : "full")} checkpoints): retained complete checkpoints {audit.Complete} (ids {string.Join(", ", audit.Ids)}), directories without _metadata {audit.Incomplete}, state files verified {audit.Files} ({audit.SharedFiles} in shared/), segments verified {audit.Segments} ({audit.Deltas} deltas, {audit.Bytes} bytes), words restored from the newest {audit.Words}");

        Assert.Equal(JobState.Running, running.State);
        Assert.Equal(0, running.Restarts);
        Assert.True(faults.InjectedTotal >= 20, $"only {faults.InjectedTotal} faults were injected");
        Assert.True(running.Checkpoints.Completed >= 10, $"only {running.Checkpoints.Completed} checkpoints completed under faults");
        Assert.Equal(JobState.Canceled, status.State);
        Assert.NotNull(final);
        Assert.Contains(final.CheckpointId, audit.Ids);
        Assert.True(audit.Complete >= 1);
        Assert.True(audit.Words > 0);
        Assert.Equal(incremental, audit.Deltas > 0);
    }

    /// <summary>
    /// Every retained checkpoint: its <c>_metadata</c> loads (it is checksummed), every state file it
    /// references exists and is long enough for its segments, every segment's CRC-32C matches, and
    /// the newest one restores through <see cref="CheckpointReader"/>. Any failure fails the test.
    /// </summary>
    private static async Task<Audit> AuditAsync(ICheckpointStore store, string jobId)
    {
        var audit = new Audit();
        foreach (var id in await CheckpointLocator.ListCheckpointIdsAsync(store, jobId))
        {
            var metadataPath = CheckpointLayout.MetadataPath(jobId, id);
            if (await store.GetFileAsync(metadataPath) is null)
            {
                audit.Incomplete++;
                continue;
            }

            var checkpoint = await CheckpointLocator.LoadAsync(store, metadataPath);
            audit.Complete++;
            audit.Ids.Add(id);
            foreach (var path in checkpoint.Metadata.ReferencedFiles())
            {
                var file = await store.GetFileAsync(path);
                Assert.True(file is not null, $"chk-{id} references {path}, which does not exist");
                audit.Files++;
                audit.SharedFiles += CheckpointLayout.IsSharedFile(path) ? 1 : 0;
            }

            var segments = checkpoint.Metadata.Operators
                .SelectMany(o => o.Subtasks)
                .SelectMany(s => s.KeyedState?.KeyGroups ?? [])
                .SelectMany(k => k.Segments);
            foreach (var segment in segments)
            {
                var bytes = await store.ReadAllBytesAsync(segment.Path, segment.Offset, segment.Length);
                Assert.True(bytes.Length == segment.Length, $"chk-{id}: {segment.Path} [{segment.Offset}, +{segment.Length}) is partial: {bytes.Length} bytes");
                Assert.True(Crc32C.Compute(bytes) == segment.Checksum, $"chk-{id}: {segment.Path} [{segment.Offset}, +{segment.Length}) fails its checksum");
                audit.Segments++;
                audit.Deltas += segment.Kind == Weir.Checkpointing.Metadata.SegmentKind.Delta ? 1 : 0;
                audit.Bytes += bytes.Length;
            }

            if (audit.Complete == 1)
            {
                var counts = await CheckpointReader.ReadKeyedValueStateAsync<string, (string Word, long Count)>(store, checkpoint.Metadata, "count", "reduce");
                audit.Words = counts.Count;
            }
        }

        return audit;
    }

    private sealed class Audit
    {
        public List<long> Ids { get; } = [];

        public int Complete { get; set; }

        public int Incomplete { get; set; }

        public int Files { get; set; }

        public int Segments { get; set; }

        public int SharedFiles { get; set; }

        public int Deltas { get; set; }

        public long Bytes { get; set; }

        public int Words { get; set; }
    }
}
