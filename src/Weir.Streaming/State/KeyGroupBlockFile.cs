using Weir.Checkpointing.Metadata;
using Weir.Serialization;
using Weir.Storage;
using Weir.Storage.Checksums;

namespace Weir.Streaming.State;

/// <summary>
/// A state file: one block per key group, back to back, each a segment with its own CRC-32C.
/// Block format: <c>state count (varint) | per state: name (string) | payload length (int32) | payload</c>;
/// what a payload holds depends on the segment kind (a full key group's entries, or a delta's records).
/// </summary>
internal static class KeyGroupBlockFile
{
    /// <summary>Writes the blocks to <paramref name="path"/> (create-only) and returns their segments, in key-group order.</summary>
    public static async Task<List<KeyGroupState>> WriteAsync(
        ICheckpointStore store,
        string path,
        IReadOnlyList<(int KeyGroup, List<(IStateTable Table, object Capture)> States)> groups,
        Action<IStateTable, object, DataWriter> writeState,
        SegmentKind kind,
        CancellationToken cancellationToken)
    {
        var keyGroups = new List<KeyGroupState>(groups.Count);
        await store.WriteAsync(
            path,
            async (stream, ct) =>
            {
                // Blocks are as large as key groups' state, written every checkpoint: a pooled buffer, not a new one.
                var writer = DataWriter.Pooled(64 * 1024);
                try
                {
                    long offset = 0;
                    foreach (var (keyGroup, states) in groups)
                    {
                        writer.Reset();
                        WriteBlock(writer, states, writeState);
                        var checksum = Crc32C.Compute(writer.WrittenSpan);
                        await stream.WriteAsync(writer.WrittenMemory, ct);
                        keyGroups.Add(new KeyGroupState(keyGroup, [new StateSegment(path, offset, writer.Length, checksum, kind)]));
                        offset += writer.Length;
                    }
                }
                finally
                {
                    writer.ReturnBuffer();
                }
            },
            WriteMode.CreateOnly,
            cancellationToken);
        return keyGroups;
    }

    /// <summary>
    /// Writes blocks serialized beforehand (<see cref="WriteBlock{TCapture}"/> into one buffer, back
    /// to back from offset 0) to <paramref name="path"/> (create-only) and returns their segments.
    /// </summary>
    public static async Task<List<KeyGroupState>> WriteAsync(
        ICheckpointStore store,
        string path,
        ReadOnlyMemory<byte> blocks,
        IReadOnlyList<(int KeyGroup, int Length)> layout,
        SegmentKind kind,
        CancellationToken cancellationToken)
    {
        var keyGroups = new List<KeyGroupState>(layout.Count);
        var offset = 0;
        foreach (var (keyGroup, length) in layout)
        {
            var checksum = Crc32C.Compute(blocks.Span.Slice(offset, length));
            keyGroups.Add(new KeyGroupState(keyGroup, [new StateSegment(path, offset, length, checksum, kind)]));
            offset += length;
        }

        await store.WriteAsync(path, (stream, ct) => stream.WriteAsync(blocks[..offset], ct), WriteMode.CreateOnly, cancellationToken);
        return keyGroups;
    }

    /// <summary>Appends one key group's block: its states' names and payloads, each payload written by <paramref name="writeState"/>.</summary>
    public static void WriteBlock<TCapture>(DataWriter writer, IReadOnlyList<(IStateTable Table, TCapture Capture)> states, Action<IStateTable, TCapture, DataWriter> writeState)
    {
        writer.WriteVarInt32(states.Count);
        foreach (var (table, capture) in states)
        {
            writer.WriteString(table.Name);
            var lengthAt = writer.Length;
            writer.WriteInt32(0);
            writeState(table, capture, writer);
            writer.PatchInt32(lengthAt, writer.Length - lengthAt - 4);
        }
    }
}
