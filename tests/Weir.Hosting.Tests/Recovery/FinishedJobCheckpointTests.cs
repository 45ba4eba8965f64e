using Weir.Checkpointing.Recovery;
using Weir.Hosting.Grains;
using Weir.Streaming.Inspection;
using Weir.Storage.FileSystem;
using Xunit.Abstractions;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// The checkpoint a finished bounded job leaves (retained on cancellation) holds its final state: its
/// sources ended after a final checkpoint, and no checkpoint is triggered after that, when no barrier
/// could reach the tasks downstream and they would only acknowledge, as they finished, with nothing.
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
}
