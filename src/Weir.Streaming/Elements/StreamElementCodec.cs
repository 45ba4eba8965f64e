using Weir.Checkpointing.Metadata;
using Weir.Serialization;

namespace Weir.Streaming.Elements;

/// <summary>
/// The binary encoding of a channel's elements between silos (in one process they pass by
/// reference). One byte tags the element; record batches carry their count, a timestamps flag,
/// the records through the serializer of <typeparamref name="T"/> and, if present, the timestamps
/// as zig-zag deltas.
/// </summary>
public sealed class StreamElementCodec<T> : IStreamElementCodec
{
    private readonly ISerializer<T> _serializer = Serializers.Get<T>();

    /// <inheritdoc />
    public void Encode(StreamElement element, DataWriter writer)
    {
        switch (element)
        {
            case RecordBatch<T> batch:
                writer.WriteByte((byte)Tag.Records);
                writer.WriteVarInt32(batch.Count);
                writer.WriteBoolean(batch.Timestamps is not null);
                for (var i = 0; i < batch.Count; i++)
                {
                    _serializer.Write(writer, batch.Records[i]);
                }

                if (batch.Timestamps is { } timestamps)
                {
                    var previous = 0L;
                    for (var i = 0; i < batch.Count; i++)
                    {
                        writer.WriteVarInt64(unchecked(timestamps[i] - previous));
                        previous = timestamps[i];
                    }
                }

                break;
            case CheckpointBarrier barrier:
                writer.WriteByte((byte)Tag.Barrier);
                writer.WriteVarInt64(barrier.CheckpointId);
                writer.WriteInt64(barrier.Timestamp.ToUnixTimeMilliseconds());
                writer.WriteByte((byte)barrier.Kind);
                writer.WriteBoolean(barrier.Unaligned);
                writer.WriteVarInt64(barrier.AlignmentTimeout is { } timeout ? Math.Max(timeout.Ticks, 0) + 1 : 0);
                break;
            case CancelCheckpointMarker marker:
                writer.WriteByte((byte)Tag.CancelMarker);
                writer.WriteVarInt64(marker.CheckpointId);
                break;
            case Watermark watermark:
                writer.WriteByte((byte)Tag.Watermark);
                writer.WriteInt64(watermark.Timestamp);
                break;
            case WatermarkStatus status:
                writer.WriteByte((byte)Tag.Status);
                writer.WriteBoolean(status.IsIdle);
                break;
            case EndOfInput:
                writer.WriteByte((byte)Tag.EndOfInput);
                break;
            default:
                throw new SerializationException($"A channel of {typeof(T).Name} records cannot carry {element.GetType().Name}.");
        }
    }

    /// <inheritdoc />
    public StreamElement Decode(ref DataReader reader)
    {
        var tag = (Tag)reader.ReadByte();
        switch (tag)
        {
            case Tag.Records:
                var count = reader.ReadVarInt32();
                if (count < 0 || count > reader.Remaining)
                {
                    throw new SerializationException($"A record batch claims {count} records but only {reader.Remaining} bytes remain.");
                }

                var hasTimestamps = reader.ReadBoolean();
                var records = new T[count];
                for (var i = 0; i < count; i++)
                {
                    records[i] = _serializer.Read(ref reader);
                }

                long[]? timestamps = null;
                if (hasTimestamps)
                {
                    timestamps = new long[count];
                    var previous = 0L;
                    for (var i = 0; i < count; i++)
                    {
                        previous = unchecked(previous + reader.ReadVarInt64());
                        timestamps[i] = previous;
                    }
                }

                return new RecordBatch<T>(records, count, timestamps);
            case Tag.Barrier:
                var id = reader.ReadVarInt64();
                var triggered = DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64());
                var kind = (CheckpointKind)reader.ReadByte();
                var unaligned = reader.ReadBoolean();
                var timeoutTicks = reader.ReadVarInt64(); // 0: none; else the timeout's ticks + 1
                return new CheckpointBarrier(id, triggered, kind, unaligned, timeoutTicks > 0 ? TimeSpan.FromTicks(timeoutTicks - 1) : null);
            case Tag.CancelMarker:
                return new CancelCheckpointMarker(reader.ReadVarInt64());
            case Tag.Watermark:
                var timestamp = reader.ReadInt64();
                return timestamp == long.MaxValue ? Watermark.MaxWatermark : new Watermark(timestamp);
            case Tag.Status:
                return reader.ReadBoolean() ? WatermarkStatus.Idle : WatermarkStatus.Active;
            case Tag.EndOfInput:
                return EndOfInput.Instance;
            default:
                throw new SerializationException($"Unknown stream element tag {(byte)tag}: the channel's data is corrupt or from another version.");
        }
    }

    private enum Tag : byte
    {
        Records = 1,
        Barrier = 2,
        CancelMarker = 3,
        Watermark = 4,
        Status = 5,
        EndOfInput = 6,
    }
}

/// <summary>Encodes and decodes the elements of one channel (its record type is fixed by the edge).</summary>
public interface IStreamElementCodec
{
    /// <summary>Appends an element.</summary>
    void Encode(StreamElement element, DataWriter writer);

    /// <summary>Reads an element.</summary>
    StreamElement Decode(ref DataReader reader);
}
