using Weir.Checkpointing.Metadata;
using Weir.Serialization;
using Weir.Streaming.Elements;

namespace Weir.Streaming.Tests.Elements;

public sealed class StreamElementCodecTests
{
    public sealed record Bid(long Item, string Bidder, decimal Price);

    [Fact]
    public void Every_element_kind_round_trips_with_records_and_timestamps_intact()
    {
        var codec = new StreamElementCodec<Bid>();
        var records = Enumerable.Range(0, 100).Select(i => new Bid(i, $"bidder-{i}", i * 1.5m)).ToArray();
        var timestamps = Enumerable.Range(0, 100).Select(i => 1_767_225_600_000L + (i * 37 % 11) - 5).ToArray();
        StreamElement[] elements =
        [
            new RecordBatch<Bid>(records, 100, timestamps),
            new RecordBatch<Bid>(records, 3, null),
            new CheckpointBarrier(42, DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123), CheckpointKind.Savepoint),
            new CancelCheckpointMarker(41),
            new Watermark(-17),
            Watermark.MaxWatermark,
            WatermarkStatus.Idle,
            EndOfInput.Instance,
        ];

        var writer = new DataWriter();
        foreach (var element in elements)
        {
            codec.Encode(element, writer);
        }

        var reader = new DataReader(writer.WrittenSpan);
        var full = Assert.IsType<RecordBatch<Bid>>(codec.Decode(ref reader));
        Assert.Equal(records, full.Records);
        Assert.Equal(timestamps, full.Timestamps);
        var partial = Assert.IsType<RecordBatch<Bid>>(codec.Decode(ref reader));
        Assert.Equal(records[..3], partial.Records);
        Assert.Null(partial.Timestamps);
        var barrier = Assert.IsType<CheckpointBarrier>(codec.Decode(ref reader));
        Assert.Equal((42L, 1_767_225_600_123L, CheckpointKind.Savepoint), (barrier.CheckpointId, barrier.Timestamp.ToUnixTimeMilliseconds(), barrier.Kind));
        Assert.Equal(41, Assert.IsType<CancelCheckpointMarker>(codec.Decode(ref reader)).CheckpointId);
        Assert.Equal(-17, Assert.IsType<Watermark>(codec.Decode(ref reader)).Timestamp);
        Assert.Same(Watermark.MaxWatermark, codec.Decode(ref reader));
        Assert.Same(WatermarkStatus.Idle, codec.Decode(ref reader));
        Assert.Same(EndOfInput.Instance, codec.Decode(ref reader));
        Assert.True(reader.End);
    }

    [Fact]
    public void Garbage_and_truncated_input_fail_with_a_serialization_error()
    {
        var codec = new StreamElementCodec<long>();
        var garbage = new byte[] { 99, 1, 2, 3 };
        var error = Assert.Throws<SerializationException>(() =>
        {
            var reader = new DataReader(garbage);
            codec.Decode(ref reader);
        });
        Assert.Contains("Unknown stream element tag 99", error.Message);

        var writer = new DataWriter();
        codec.Encode(new RecordBatch<long>([1, 2, 3], 3, null), writer);
        var truncated = writer.ToArray()[..^1];
        Assert.Throws<SerializationException>(() =>
        {
            var reader = new DataReader(truncated);
            codec.Decode(ref reader);
        });
    }
}
