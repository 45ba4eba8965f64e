using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Hosting.Grains;
using Weir.Serialization;
using Weir.Storage;
using Weir.Storage.FileSystem;
using Weir.Streaming.Elements;
using Weir.Streaming.Inspection;
using Weir.Streaming.Sinks;
using Weir.Streaming.Sources;
using Xunit.Abstractions;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// Unaligned checkpoints of a backpressured job (keyed running sums behind a slow step): the
/// barriers overtake the records queued between the sources and the sums, so a checkpoint's keyed
/// state alone misses them; with its channel state it holds exactly the records before the cut.
/// A job restored from it replays those records and ends with the sums over all input; restoring
/// it at another parallelism is refused. With an alignment timeout, checkpoints start aligned: those
/// whose barriers wait past it turn unaligned with the same guarantee, those whose barriers come in
/// time hold no records in flight.
/// </summary>
public sealed class UnalignedCheckpointTests(ITestOutputHelper output)
{
    private static readonly SumJob Sums = new("unaligned-sums", Partitions: 4, PerPartition: 50_000, Keys: 13);

    [Theory]
    [InlineData("0ms")] // unaligned from the start
    [InlineData("20ms")] // aligned at first; the barriers wait longer behind the slow sums, so they overtake
    public async Task Keyed_state_plus_the_overtaken_records_equal_the_cut_and_a_restored_job_replays_them(string alignmentTimeout)
    {
        await using var silo = await TestSilo.StartAsync(
            ("execution.checkpointing.interval", "100ms"),
            ("execution.checkpointing.unaligned.enabled", "true"),
            ("execution.checkpointing.aligned-checkpoint-timeout", alignmentTimeout),
            ("execution.checkpointing.num-retained", "100"),
            ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"));
        var sink = $"unaligned-{Guid.NewGuid():N}";
        var store = new FileSystemCheckpointStore(silo.CheckpointDirectory);

        // The sums take 20 µs a record, the sources offer ten times that: the channels stay full. On a
        // loaded machine the input may end after a few slow checkpoints, the last of them taken with
        // nothing in flight: the newest one that holds records in flight is the one examined.
        var first = await silo.Jobs.SubmitAsync(Sums.Build(parallelism: 2, rate: 500_000, sink, spinMicros: 20));
        Weir.Checkpointing.Coordinator.CompletedCheckpoint? found = null;
        await Eventually.Until(
            () =>
            {
                found = first.GetStatusAsync().Result.Checkpoints.Completed >= 3
                    ? CompleteCheckpointsAsync(store).Result.FirstOrDefault(c => ChannelStateSize(c.Metadata) > 0)
                    : null;
                return found is not null;
            },
            "three checkpoints, one with records in flight",
            TimeSpan.FromSeconds(60));
        await first.CancelAsync();

        var checkpoint = found!;
        var offsets = CheckpointReader.ReadOperatorListState<GeneratorSource<(int Key, long Value)>.Split>(checkpoint.Metadata, "numbers", "source-splits");
        var state = await CheckpointReader.ReadKeyedValueStateAsync<int, (int Key, long Value)>(store, checkpoint.Metadata, "sum", "reduce");
        var overtaken = await ReadChannelStateAsync(store, checkpoint.Metadata);
        var bySide = overtaken.GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"checkpoint {checkpoint.CheckpointId}: {offsets.Sum(s => s.NextIndex)} records before the cut; in flight {bySide.GetValueOrDefault(ChannelStateKind.Input)} at the sums' inputs, {bySide.GetValueOrDefault(ChannelStateKind.Output)} in the sources' writers ({ChannelStateSize(checkpoint.Metadata)} bytes)");

        // The cut: sums of exactly the records each partition emitted before it.
        var cut = Sums.SumsOf(offsets.Select(s => (s.Partition, s.NextIndex)));
        var stateOnly = state.ToDictionary(kv => kv.Key, kv => kv.Value.Value);
        var withChannels = new Dictionary<int, long>(stateOnly);
        foreach (var (_, record) in overtaken)
        {
            withChannels[record.Key] = withChannels.GetValueOrDefault(record.Key) + record.Value;
        }

        Assert.NotEmpty(overtaken);
        Assert.NotEqual(cut.OrderBy(kv => kv.Key), stateOnly.OrderBy(kv => kv.Key));
        Assert.Equal(cut.OrderBy(kv => kv.Key), withChannels.OrderBy(kv => kv.Key));

        // In-flight records cannot be redistributed: another parallelism is refused, naming the way out.
        var path = Path.Combine(silo.CheckpointDirectory, "unaligned-sums", $"chk-{checkpoint.CheckpointId}");
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => silo.Jobs.SubmitAsync(Sums.Build(parallelism: 3, rate: 1_000_000, sink), new JobSubmitOptions(RestorePath: path)));
        Assert.Contains("unaligned", refused.Message);
        Assert.Contains("savepoint", refused.Message);

        // At the same parallelism the restored job replays them first and ends with the sums over all input.
        var second = await silo.Jobs.SubmitAsync(Sums.Build(parallelism: 2, rate: 2_000_000, sink), new JobSubmitOptions(RestorePath: path));
        var status = await second.WaitForTerminationAsync().Within("the restored job finishes", TimeSpan.FromSeconds(60));
        Assert.Equal(JobState.Finished, status.State);
        Assert.Equal(checkpoint.CheckpointId, status.RestoredCheckpointId);
        var finals = SumJob.Finals(CollectedResults<(int Key, long Value)>.Get(sink).Records);
        Assert.Equal(Sums.Totals().OrderBy(kv => kv.Key), finals.OrderBy(kv => kv.Key));
    }

    [Fact]
    public async Task Checkpoints_whose_barriers_come_within_the_alignment_timeout_stay_aligned()
    {
        await using var silo = await TestSilo.StartAsync(
            ("execution.checkpointing.interval", "100ms"),
            ("execution.checkpointing.unaligned.enabled", "true"),
            ("execution.checkpointing.aligned-checkpoint-timeout", "10min"),
            ("execution.checkpointing.num-retained", "10"),
            ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"));
        var store = new FileSystemCheckpointStore(silo.CheckpointDirectory);

        // The same backpressured job that has records in flight at every unaligned checkpoint (above). Its
        // sources' barriers wait for credit in their writers; each acknowledgement goes once the barrier was
        // sent in line, not at the timeout, or three checkpoints would take half an hour.
        var job = await silo.Jobs.SubmitAsync(Sums.Build(parallelism: 2, rate: 500_000, $"aligned-{Guid.NewGuid():N}", spinMicros: 20));
        await Eventually.Until(() => job.GetStatusAsync().Result.Checkpoints.Completed >= 3, "three checkpoints", TimeSpan.FromSeconds(60));
        await job.CancelAsync();

        var retained = await CompleteCheckpointsAsync(store);

        output.WriteLine($"{retained.Count} checkpoints retained, in flight: {string.Join(", ", retained.Select(c => $"chk-{c.CheckpointId} {ChannelStateSize(c.Metadata)} bytes"))}");
        Assert.True(retained.Count >= 3);
        Assert.All(retained, checkpoint => Assert.Equal(0, ChannelStateSize(checkpoint.Metadata)));
    }

    [Fact]
    public async Task A_job_backpressured_to_its_end_commits_every_record_once()
    {
        await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "30ms"), ("execution.checkpointing.unaligned.enabled", "true"));
        var sink = $"unaligned-end-{Guid.NewGuid():N}";

        // Backpressured until the end: the final checkpoints are taken with the channels full.
        var job = await silo.Jobs.SubmitAsync(Sums.Build(parallelism: 2, rate: 500_000, sink, spinMicros: 10));
        var status = await job.WaitForTerminationAsync().Within("the job finishes", TimeSpan.FromSeconds(90));

        var records = CollectedResults<(int Key, long Value)>.Get(sink).Records;
        var finals = SumJob.Finals(records);
        var total = Sums.Totals();
        output.WriteLine($"records in={Sums.Partitions * Sums.PerPartition} out={records.Count}; checkpoints completed={status.Checkpoints.Completed} failed={status.Checkpoints.Failed}");
        Assert.Equal(JobState.Finished, status.State);
        Assert.Equal(Sums.Partitions * Sums.PerPartition, records.Count);
        Assert.Equal(total.OrderBy(kv => kv.Key), finals.OrderBy(kv => kv.Key));
    }

    [Fact]
    public async Task A_job_asking_for_unaligned_checkpoints_with_at_least_once_is_refused_naming_both_keys()
    {
        await using var silo = await TestSilo.StartAsync();
        var options = silo.Options.With([("execution.checkpointing.unaligned.enabled", "true"), ("execution.checkpointing.mode", "AT_LEAST_ONCE")]);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => silo.Jobs.SubmitAsync(Sums.Build(parallelism: 1, rate: 1_000, $"refused-{Guid.NewGuid():N}"), new JobSubmitOptions(Options: options)));

        Assert.Contains("execution.checkpointing.unaligned.enabled = 'true' is not valid with execution.checkpointing.mode = 'AT_LEAST_ONCE'", error.Message);
    }

    /// <summary>The job's complete checkpoints in the store, newest first.</summary>
    private static async Task<List<Weir.Checkpointing.Coordinator.CompletedCheckpoint>> CompleteCheckpointsAsync(ICheckpointStore store)
    {
        var complete = new List<Weir.Checkpointing.Coordinator.CompletedCheckpoint>();
        foreach (var id in await CheckpointLocator.ListCheckpointIdsAsync(store, "unaligned-sums"))
        {
            if (await CheckpointLocator.TryLoadAsync(store, CheckpointLayout.MetadataPath("unaligned-sums", id)) is { } checkpoint)
            {
                complete.Add(checkpoint);
            }
        }

        return complete;
    }

    private static long ChannelStateSize(CheckpointMetadata metadata) =>
        metadata.Operators.SelectMany(o => o.Subtasks).SelectMany(s => s.ChannelState).Sum(c => c.Length);

    /// <summary>Every record of the checkpoint's channel state, decoded with the edge's encoding (all channels here carry the sources' records).</summary>
    private static async Task<List<(ChannelStateKind Kind, (int Key, long Value) Record)>> ReadChannelStateAsync(ICheckpointStore store, CheckpointMetadata metadata)
    {
        var codec = new StreamElementCodec<(int Key, long Value)>();
        var records = new List<(ChannelStateKind, (int, long))>();
        foreach (var segment in metadata.Operators.SelectMany(o => o.Subtasks).SelectMany(s => s.ChannelState))
        {
            var bytes = await store.ReadAllBytesAsync(segment.Path, segment.Offset, segment.Length);
            var reader = new DataReader(bytes);
            while (!reader.End)
            {
                var batch = (RecordBatch<(int Key, long Value)>)codec.Decode(ref reader);
                records.AddRange(batch.Records.Take(batch.Count).Select(r => (segment.Kind, r)));
            }
        }

        return records;
    }
}
