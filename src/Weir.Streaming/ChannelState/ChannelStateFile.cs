using Weir.Checkpointing.Metadata;
using Weir.Serialization;
using Weir.Storage;
using Weir.Storage.Checksums;
using Weir.Streaming.Elements;

namespace Weir.Streaming.ChannelState;

/// <summary>
/// A subtask's channel state in an unaligned checkpoint: one file under <c>chk-n/</c> with a
/// segment per channel that had records in flight, back to back, each a run of record batches
/// in the edge's channel encoding (<see cref="StreamElementCodec{T}"/>) with its own CRC-32C.
/// </summary>
internal static class ChannelStateFile
{
    /// <summary>Writes the buffers' channels to <paramref name="path"/> (create-only, and only if one has records); returns their segments.</summary>
    public static async Task<IReadOnlyList<ChannelStateSegment>> WriteAsync(ICheckpointStore store, string path, IEnumerable<ChannelStateBuffer> buffers, CancellationToken cancellationToken)
    {
        var parts = buffers.SelectMany(b => b.Channels().Select(c => (b.Kind, c.Channel, c.Bytes))).ToArray();
        if (parts.Length == 0)
        {
            return [];
        }

        var segments = new List<ChannelStateSegment>(parts.Length);
        long offset = 0;
        foreach (var (kind, channel, bytes) in parts)
        {
            segments.Add(new ChannelStateSegment(kind, channel, path, offset, bytes.Length, Crc32C.Compute(bytes.Span)));
            offset += bytes.Length;
        }

        await store.WriteAsync(
            path,
            async (stream, ct) =>
            {
                foreach (var (_, _, bytes) in parts)
                {
                    await stream.WriteAsync(bytes, ct);
                }
            },
            WriteMode.CreateOnly,
            cancellationToken);
        return segments;
    }

    /// <summary>
    /// Reads the segments of one kind back into record batches, per channel, in the order they were
    /// kept. Every segment is checked against its CRC-32C and must name a channel the task has.
    /// </summary>
    /// <exception cref="CorruptCheckpointException">A segment is missing, truncated, fails its checksum, names no channel of the task, or does not decode.</exception>
    public static async Task<List<(int Channel, RecordBatch Batch)>> ReadAsync(
        ICheckpointStore store,
        IEnumerable<ChannelStateSegment> segments,
        ChannelStateKind kind,
        IReadOnlyList<IStreamElementCodec> codecs,
        CancellationToken cancellationToken)
    {
        var batches = new List<(int, RecordBatch)>();
        foreach (var segment in segments.Where(s => s.Kind == kind))
        {
            var where = $"{store.Location}{segment.Path}";
            var side = kind == ChannelStateKind.Input ? "input" : "output";
            if (segment.Channel < 0 || segment.Channel >= codecs.Count)
            {
                throw new CorruptCheckpointException(where, $"it holds records of {side} channel {segment.Channel}, but the task has {codecs.Count} {side} channels: the job's graph changed since the unaligned checkpoint");
            }

            if (segment.Offset < 0 || segment.Length < 0 || segment.Length > int.MaxValue)
            {
                throw new CorruptCheckpointException(where, $"{side} channel {segment.Channel} spans bytes [{segment.Offset}, {segment.Offset + segment.Length}), which is not a range");
            }

            byte[] bytes;
            try
            {
                bytes = await store.ReadAllBytesAsync(segment.Path, segment.Offset, segment.Length, cancellationToken);
            }
            catch (CheckpointFileNotFoundException e)
            {
                throw new CorruptCheckpointException(where, "the channel state file is missing", e);
            }
            catch (CheckpointStoreException e)
            {
                throw new CorruptCheckpointException(where, $"{side} channel {segment.Channel} could not be read whole: {e.Message}", e);
            }

            var actual = Crc32C.Compute(bytes);
            if (actual != segment.Checksum)
            {
                throw new CorruptCheckpointException(where, $"{side} channel {segment.Channel} does not match its checksum (stored {segment.Checksum:x8}, computed {actual:x8})");
            }

            try
            {
                var reader = new DataReader(bytes);
                while (!reader.End)
                {
                    batches.Add((segment.Channel, codecs[segment.Channel].Decode(ref reader) as RecordBatch
                        ?? throw new SerializationException("it holds an element that is not a record batch")));
                }
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                throw new CorruptCheckpointException(where, $"{side} channel {segment.Channel} does not decode: {e.Message}", e);
            }
        }

        return batches;
    }
}
