using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Hosting.Grains;
using Weir.Streaming.Inspection;
using Weir.Streaming.Sinks;
using Weir.Streaming.Sources;
using Weir.Storage.FileSystem;
using Xunit.Abstractions;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// A job with keyed running sums: the state in a checkpoint equals the sums of exactly the records
/// before the checkpoint's cut (the source offsets in the same checkpoint), and a job restored from
/// it continues from that state (its final sums equal the sums over all input).
/// </summary>
public sealed class RestoredStateTests(ITestOutputHelper output)
{
    private static readonly SumJob Sums = new("sums", Partitions: 6, PerPartition: 4_000, Keys: 11);

    [Fact]
    public async Task Checkpointed_keyed_sums_equal_the_cut_and_a_restored_job_continues_from_them()
    {
        await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "50ms"), ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"));
        var sink = $"sums-{Guid.NewGuid():N}";

        var first = await silo.Jobs.SubmitAsync(Sums.Build(parallelism: 2, rate: Sums.Partitions * Sums.PerPartition / 2 / 8.0, sink));
        await Eventually.Until(() => first.GetStatusAsync().Result.Checkpoints.Completed >= 4, "four checkpoints", TimeSpan.FromSeconds(30));
        await first.CancelAsync();

        var store = new FileSystemCheckpointStore(silo.CheckpointDirectory);
        var checkpoint = await CheckpointLocator.FindLatestAsync(store, "sums") ?? throw new InvalidOperationException("No checkpoint was retained.");
        var offsets = CheckpointReader.ReadOperatorListState<GeneratorSource<(int Key, long Value)>.Split>(checkpoint.Metadata, "numbers", "source-splits");
        var sums = await CheckpointReader.ReadKeyedValueStateAsync<int, (int Key, long Value)>(store, checkpoint.Metadata, "sum", "reduce");

        // The reference: the sums of exactly the records each partition emitted before the cut.
        var cut = Sums.SumsOf(offsets.Select(s => (s.Partition, s.NextIndex)));
        output.WriteLine($"checkpoint {checkpoint.CheckpointId}: {offsets.Sum(s => s.NextIndex)} records before the cut, {sums.Count} keys in state");
        Assert.Equal(Sums.Partitions, offsets.Count);
        Assert.Equal(cut.OrderBy(kv => kv.Key), sums.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Value)).OrderBy(kv => kv.Key));
        Assert.InRange(offsets.Sum(s => s.NextIndex), 1, (Sums.Partitions * Sums.PerPartition) - 1);

        var second = await silo.Jobs.SubmitAsync(
            Sums.Build(parallelism: 3, rate: Sums.Partitions * Sums.PerPartition, sink),
            new JobSubmitOptions(RestorePath: Path.Combine(silo.CheckpointDirectory, "sums", $"chk-{checkpoint.CheckpointId}")));
        var status = await second.WaitForTerminationAsync().Within("the restored job finishes", TimeSpan.FromSeconds(60));
        Assert.Equal(JobState.Finished, status.State);

        var finals = SumJob.Finals(CollectedResults<(int Key, long Value)>.Get(sink).Records);
        Assert.Equal(Sums.Totals().OrderBy(kv => kv.Key), finals.OrderBy(kv => kv.Key));
    }
}
