using Weir.Checkpointing.Metadata;
using Weir.Serialization;
using Weir.Storage;
using Weir.Storage.FileSystem;
using Weir.Streaming.ChannelState;
using Weir.Streaming.Elements;

namespace Weir.Streaming.Tests.ChannelState;

/// <summary>Decodes what a <see cref="ChannelStateBuffer"/> kept, per channel.</summary>
internal static class Kept
{
    public static Dictionary<int, List<long>> Records(ChannelStateBuffer buffer, IReadOnlyList<IStreamElementCodec> codecs)
    {
        var kept = new Dictionary<int, List<long>>();
        foreach (var (channel, bytes) in buffer.Channels())
        {
            var records = kept[channel] = [];
            var reader = new DataReader(bytes.Span);
            while (!reader.End)
            {
                var batch = Assert.IsType<RecordBatch<long>>(codecs[channel].Decode(ref reader));
                records.AddRange(batch.Records[..batch.Count]);
            }
        }

        return kept;
    }

    public static RecordBatch<long> Batch(params long[] records) => new(records, records.Length, null);
}

public sealed class ChannelStateBufferTests
{
    [Fact]
    public void Only_record_batches_are_kept_per_channel_in_order_and_counted()
    {
        IStreamElementCodec[] codecs = [new StreamElementCodec<long>(), new StreamElementCodec<long>(), new StreamElementCodec<long>()];
        var buffer = new ChannelStateBuffer(ChannelStateKind.Input, codecs);

        buffer.Add(2, Kept.Batch(1, 2));
        buffer.Add(0, new Watermark(5));
        buffer.Add(0, Kept.Batch(10));
        buffer.AddRange(2, [WatermarkStatus.Idle, Kept.Batch(3), new Watermark(9), Kept.Batch(), Kept.Batch(4, 5, 6)]);
        buffer.Add(0, new CheckpointBarrier(1, DateTimeOffset.UnixEpoch, CheckpointKind.Checkpoint, unaligned: true));

        Assert.Equal(ChannelStateKind.Input, buffer.Kind);
        Assert.Equal(7, buffer.Records);
        Assert.Equal([0, 2], buffer.Channels().Select(c => c.Channel));
        var kept = Kept.Records(buffer, codecs);
        Assert.Equal([10L], kept[0]);
        Assert.Equal([1L, 2, 3, 4, 5, 6], kept[2]);
    }

    [Fact]
    public void A_buffer_given_only_watermarks_keeps_no_channel()
    {
        var buffer = new ChannelStateBuffer(ChannelStateKind.Output, [new StreamElementCodec<long>()]);

        buffer.AddRange(0, [new Watermark(1), Watermark.MaxWatermark, Kept.Batch()]);

        Assert.Empty(buffer.Channels());
        Assert.Equal(0, buffer.Records);
    }
}

public sealed class ChannelStateFileTests : IDisposable
{
    private const string FilePath = "job-1/chk-3/map-0-channels-x";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "weir-channel-state-" + Guid.NewGuid().ToString("N"));
    private readonly FileSystemCheckpointStore _store;

    public ChannelStateFileTests() => _store = new FileSystemCheckpointStore(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Input_and_output_records_and_timestamps_round_trip_per_channel_and_kind()
    {
        IStreamElementCodec[] inputCodecs = [new StreamElementCodec<long>(), new StreamElementCodec<string>(), new StreamElementCodec<long>()];
        IStreamElementCodec[] outputCodecs = [new StreamElementCodec<string>(), new StreamElementCodec<string>()];
        var input = new ChannelStateBuffer(ChannelStateKind.Input, inputCodecs);
        var output = new ChannelStateBuffer(ChannelStateKind.Output, outputCodecs);
        input.Add(2, new RecordBatch<long>([1, 2, 3], 3, [100, 90, 110]));
        input.Add(1, new RecordBatch<string>(["a", "b"], 2, null));
        input.Add(2, new RecordBatch<long>([4], 1, null));
        output.Add(1, new RecordBatch<string>(["out-1", "out-2"], 2, [5, long.MinValue]));
        output.Add(0, new RecordBatch<string>(["out-0"], 1, null));

        var segments = await ChannelStateFile.WriteAsync(_store, FilePath, [input, output], CancellationToken.None);

        Assert.Equal(
            [(ChannelStateKind.Input, 1), (ChannelStateKind.Input, 2), (ChannelStateKind.Output, 0), (ChannelStateKind.Output, 1)],
            segments.Select(s => (s.Kind, s.Channel)));
        Assert.All(segments, s => Assert.Equal(FilePath, s.Path));
        Assert.Equal(segments.Skip(1).Select(s => s.Offset), segments.SkipLast(1).Select(s => s.Offset + s.Length));
        Assert.Equal(segments.Sum(s => s.Length), (await _store.GetFileAsync(FilePath))!.Length);

        var inputs = await ChannelStateFile.ReadAsync(_store, segments, ChannelStateKind.Input, inputCodecs, CancellationToken.None);
        Assert.Equal([1, 2, 2], inputs.Select(i => i.Channel));
        var strings = Assert.IsType<RecordBatch<string>>(inputs[0].Batch);
        Assert.Equal(["a", "b"], strings.Records[..strings.Count]);
        Assert.Null(strings.Timestamps);
        var timed = Assert.IsType<RecordBatch<long>>(inputs[1].Batch);
        Assert.Equal([1L, 2, 3], timed.Records[..timed.Count]);
        Assert.Equal([100L, 90, 110], timed.Timestamps!);
        var untimed = Assert.IsType<RecordBatch<long>>(inputs[2].Batch);
        Assert.Equal([4L], untimed.Records[..untimed.Count]);
        Assert.Null(untimed.Timestamps);

        var outputs = await ChannelStateFile.ReadAsync(_store, segments, ChannelStateKind.Output, outputCodecs, CancellationToken.None);
        Assert.Equal([0, 1], outputs.Select(o => o.Channel));
        var first = Assert.IsType<RecordBatch<string>>(outputs[0].Batch);
        Assert.Equal(["out-0"], first.Records[..first.Count]);
        var second = Assert.IsType<RecordBatch<string>>(outputs[1].Batch);
        Assert.Equal(["out-1", "out-2"], second.Records[..second.Count]);
        Assert.Equal([5L, long.MinValue], second.Timestamps!);
    }

    [Fact]
    public async Task Nothing_kept_writes_no_file_and_no_segment()
    {
        var empty = new ChannelStateBuffer(ChannelStateKind.Input, [new StreamElementCodec<long>()]);
        empty.Add(0, new Watermark(3));

        var segments = await ChannelStateFile.WriteAsync(_store, FilePath, [empty, new ChannelStateBuffer(ChannelStateKind.Output, [])], CancellationToken.None);

        Assert.Empty(segments);
        Assert.Null(await _store.GetFileAsync(FilePath));
    }

    [Fact]
    public async Task A_flipped_byte_fails_the_read_naming_the_file_the_side_the_channel_and_the_checksum()
    {
        IStreamElementCodec[] codecs = [new StreamElementCodec<long>(), new StreamElementCodec<long>()];
        var output = new ChannelStateBuffer(ChannelStateKind.Output, codecs);
        output.Add(0, Kept.Batch(1, 2, 3));
        output.Add(1, Kept.Batch(4, 5, 6));
        var segments = await ChannelStateFile.WriteAsync(_store, FilePath, [output], CancellationToken.None);
        var onDisk = Path.Combine(_root, FilePath);
        var bytes = await File.ReadAllBytesAsync(onDisk);
        bytes[segments[1].Offset + segments[1].Length - 1] ^= 0x10;
        await File.WriteAllBytesAsync(onDisk, bytes);

        var error = await Assert.ThrowsAsync<CorruptCheckpointException>(() => ChannelStateFile.ReadAsync(_store, segments, ChannelStateKind.Output, codecs, CancellationToken.None));

        Assert.Contains(FilePath, error.Path);
        Assert.Contains(FilePath, error.Message);
        Assert.Contains("output channel 1", error.Message);
        Assert.Contains("checksum", error.Message);
    }

    [Fact]
    public async Task A_segment_of_a_channel_the_task_no_longer_has_fails_saying_the_graph_changed()
    {
        IStreamElementCodec[] codecs = [new StreamElementCodec<long>(), new StreamElementCodec<long>(), new StreamElementCodec<long>()];
        var input = new ChannelStateBuffer(ChannelStateKind.Input, codecs);
        input.Add(2, Kept.Batch(7));
        var segments = await ChannelStateFile.WriteAsync(_store, FilePath, [input], CancellationToken.None);

        var error = await Assert.ThrowsAsync<CorruptCheckpointException>(() => ChannelStateFile.ReadAsync(_store, segments, ChannelStateKind.Input, codecs[..2], CancellationToken.None));

        Assert.Contains(FilePath, error.Message);
        Assert.Contains("input channel 2", error.Message);
        Assert.Contains("2 input channels", error.Message);
        Assert.Contains("graph changed", error.Message);
    }

    [Fact]
    public async Task A_missing_channel_state_file_fails_as_corrupt_naming_the_file()
    {
        ChannelStateSegment[] segments = [new(ChannelStateKind.Input, 0, FilePath, 0, 10, 0)];

        var error = await Assert.ThrowsAsync<CorruptCheckpointException>(() => ChannelStateFile.ReadAsync(_store, segments, ChannelStateKind.Input, [new StreamElementCodec<long>()], CancellationToken.None));

        Assert.Contains(FilePath, error.Message);
        Assert.Contains("missing", error.Message);
        Assert.IsType<CheckpointFileNotFoundException>(error.InnerException);
    }

    [Fact]
    public async Task Segments_of_the_other_kind_are_not_read()
    {
        ChannelStateSegment[] segments = [new(ChannelStateKind.Output, 0, FilePath, 0, 10, 0)];

        var read = await ChannelStateFile.ReadAsync(_store, segments, ChannelStateKind.Input, [new StreamElementCodec<long>()], CancellationToken.None);

        Assert.Empty(read);
    }
}

public sealed class InputChannelRecorderTests
{
    private static readonly IStreamElementCodec[] Codecs = [new StreamElementCodec<long>(), new StreamElementCodec<long>(), new StreamElementCodec<long>()];

    [Fact]
    public void Records_read_on_a_channel_before_its_barrier_are_kept_and_after_it_not()
    {
        var recorder = new InputChannelRecorder(5, Codecs, _ => false);

        recorder.OnRecords(0, Kept.Batch(1));
        recorder.OnRecords(1, Kept.Batch(2));
        recorder.OnBarrier(0, []);
        recorder.OnRecords(0, Kept.Batch(3));
        recorder.OnRecords(1, Kept.Batch(4));

        var kept = Kept.Records(recorder.Buffer, Codecs);
        Assert.Equal([1L], kept[0]);
        Assert.Equal([2L, 4], kept[1]);
        Assert.Equal(5, recorder.CheckpointId);
        Assert.Equal(ChannelStateKind.Input, recorder.Buffer.Kind);
    }

    [Fact]
    public void The_record_batches_a_barrier_overtook_are_kept_after_those_read_before_it()
    {
        var recorder = new InputChannelRecorder(5, Codecs, _ => false);

        recorder.OnRecords(2, Kept.Batch(1, 2));
        recorder.OnBarrier(2, [Kept.Batch(3), new Watermark(10), Kept.Batch(4, 5)]);

        Assert.Equal([1L, 2, 3, 4, 5], Kept.Records(recorder.Buffer, Codecs)[2]);
        Assert.Equal(5, recorder.Buffer.Records);
    }

    [Fact]
    public void A_channel_ended_at_the_start_needs_no_barrier_and_keeps_nothing()
    {
        var recorder = new InputChannelRecorder(5, Codecs, channel => channel == 1);

        recorder.OnRecords(1, Kept.Batch(9));
        recorder.OnBarrier(0, []);
        Assert.False(recorder.IsComplete);
        recorder.OnBarrier(2, []);

        Assert.True(recorder.IsComplete);
        Assert.Empty(recorder.Buffer.Channels());
    }

    [Fact]
    public void A_recorder_whose_channels_all_ended_is_complete_at_once()
    {
        Assert.True(new InputChannelRecorder(5, Codecs, _ => true).IsComplete);
    }

    [Fact]
    public void A_channel_that_ends_while_recording_needs_no_barrier()
    {
        var recorder = new InputChannelRecorder(5, Codecs, _ => false);

        recorder.OnBarrier(0, []);
        recorder.OnRecords(1, Kept.Batch(1));
        recorder.OnEndOfInput(1);
        recorder.OnRecords(1, Kept.Batch(2));
        Assert.False(recorder.IsComplete);
        recorder.OnEndOfInput(2);

        Assert.True(recorder.IsComplete);
        Assert.Equal([1L], Kept.Records(recorder.Buffer, Codecs)[1]);
    }

    [Fact]
    public void The_recording_is_complete_exactly_when_every_channel_delivered_its_barrier_or_ended_in_any_order()
    {
        // Each channel is done by a barrier or an end; repeats of either on a done channel must not count.
        Action<InputChannelRecorder, int>[] finishes = [(r, c) => r.OnBarrier(c, []), (r, c) => r.OnEndOfInput(c)];
        int[][] orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        foreach (var order in orders)
        {
            for (var how = 0; how < 8; how++)
            {
                var recorder = new InputChannelRecorder(5, Codecs, _ => false);
                for (var step = 0; step < order.Length; step++)
                {
                    Assert.False(recorder.IsComplete, $"order {string.Join(",", order)}, how {how}: complete after {step} channels");
                    finishes[(how >> step) & 1](recorder, order[step]);
                    finishes[0](recorder, order[step]);
                    finishes[1](recorder, order[step]);
                }

                Assert.True(recorder.IsComplete, $"order {string.Join(",", order)}, how {how}: not complete after every channel");
            }
        }
    }

    [Fact]
    public void A_second_barrier_on_the_same_channel_keeps_nothing_more()
    {
        var recorder = new InputChannelRecorder(5, Codecs, _ => false);

        recorder.OnBarrier(0, [Kept.Batch(1)]);
        recorder.OnBarrier(0, [Kept.Batch(2)]);

        Assert.Equal([1L], Kept.Records(recorder.Buffer, Codecs)[0]);
        Assert.Equal(1, recorder.Buffer.Records);
        Assert.False(recorder.IsComplete);
    }
}

public sealed class UnalignedBarrierTests
{
    private static readonly DateTimeOffset Triggered = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);

    [Fact]
    public void A_barrier_overtaking_nothing_that_carries_nothing_is_the_same_instance()
    {
        var barrier = new CheckpointBarrier(3, Triggered, CheckpointKind.Checkpoint, unaligned: true);

        Assert.Same(barrier, barrier.Overtaking([]));
        Assert.Same(barrier, CheckpointBarrier.Overtaking(barrier, []));
    }

    [Fact]
    public void A_barrier_overtaking_elements_is_a_copy_carrying_them_and_the_original_carries_none()
    {
        var barrier = new CheckpointBarrier(3, Triggered, CheckpointKind.Savepoint, unaligned: true);
        StreamElement[] overtaken = [Kept.Batch(1), new Watermark(2)];

        var read = barrier.Overtaking(overtaken);

        Assert.NotSame(barrier, read);
        Assert.Equal(overtaken, read.Overtaken);
        Assert.Empty(barrier.Overtaken);
        Assert.Equal((3L, Triggered, CheckpointKind.Savepoint, true), (read.CheckpointId, read.Timestamp, read.Kind, read.Unaligned));
    }

    [Fact]
    public void A_barrier_read_with_overtaken_elements_forwarded_overtaking_none_carries_none()
    {
        var read = new CheckpointBarrier(3, Triggered, CheckpointKind.Checkpoint, unaligned: true).Overtaking([Kept.Batch(1)]);

        var forwarded = read.Overtaking([]);

        Assert.Empty(forwarded.Overtaken);
        Assert.Single(read.Overtaken);
        Assert.Equal((3L, Triggered, CheckpointKind.Checkpoint, true), (forwarded.CheckpointId, forwarded.Timestamp, forwarded.Kind, forwarded.Unaligned));
    }

    [Fact]
    public void A_priority_write_of_anything_but_a_barrier_goes_as_it_is()
    {
        var marker = new CancelCheckpointMarker(3);

        Assert.Same(marker, CheckpointBarrier.Overtaking(marker, [Kept.Batch(1)]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_codec_round_trips_whether_a_barrier_is_unaligned(bool unaligned)
    {
        var codec = new StreamElementCodec<long>();
        var writer = new DataWriter();
        codec.Encode(new CheckpointBarrier(9, Triggered, CheckpointKind.Checkpoint, unaligned).Overtaking([Kept.Batch(1)]), writer);

        var reader = new DataReader(writer.WrittenSpan);
        var barrier = Assert.IsType<CheckpointBarrier>(codec.Decode(ref reader));

        Assert.True(reader.End);
        Assert.Equal(unaligned, barrier.Unaligned);
        Assert.Equal((9L, Triggered, CheckpointKind.Checkpoint), (barrier.CheckpointId, barrier.Timestamp, barrier.Kind));
        Assert.Empty(barrier.Overtaken);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0L)]
    [InlineData(250L)]
    public void The_codec_round_trips_an_aligned_barriers_alignment_timeout(long? milliseconds)
    {
        var timeout = milliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
        var codec = new StreamElementCodec<long>();
        var writer = new DataWriter();
        codec.Encode(new CheckpointBarrier(9, Triggered, CheckpointKind.Checkpoint, unaligned: false, timeout), writer);

        var reader = new DataReader(writer.WrittenSpan);
        var barrier = Assert.IsType<CheckpointBarrier>(codec.Decode(ref reader));

        Assert.True(reader.End);
        Assert.False(barrier.Unaligned);
        Assert.Equal(timeout, barrier.AlignmentTimeout);
    }

    [Fact]
    public void An_aligned_barrier_times_out_its_timeout_after_its_trigger_and_becomes_unaligned_over_what_it_overtook()
    {
        var barrier = new CheckpointBarrier(9, Triggered, CheckpointKind.Checkpoint, unaligned: false, TimeSpan.FromMilliseconds(100));
        var plain = new CheckpointBarrier(9, Triggered, CheckpointKind.Checkpoint);

        Assert.False(barrier.IsAlignmentTimedOut(Triggered.AddMilliseconds(99)));
        Assert.True(barrier.IsAlignmentTimedOut(Triggered.AddMilliseconds(100)));
        Assert.False(plain.IsAlignmentTimedOut(Triggered.AddDays(1)));

        var promoted = barrier.AsUnaligned([Kept.Batch(1), Kept.Batch(2)]);
        Assert.True(promoted.Unaligned);
        Assert.Null(promoted.AlignmentTimeout);
        Assert.Equal((9L, Triggered, CheckpointKind.Checkpoint), (promoted.CheckpointId, promoted.Timestamp, promoted.Kind));
        Assert.Equal(2, promoted.Overtaken.Count);
    }
}
