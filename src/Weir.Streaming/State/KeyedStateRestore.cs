using Weir.Checkpointing.Metadata;
using Weir.Storage;
using Weir.Storage.Checksums;

namespace Weir.Streaming.State;

/// <summary>
/// Loads a subtask's key groups from their chains: per key group, its full segment (if any) and
/// then its deltas, in order. Of each state file only the span its segments cover is read, once;
/// every segment is checked against its CRC-32C, and a mismatch fails with the file and key group named.
/// </summary>
internal static class KeyedStateRestore
{
    public static async Task RestoreAsync(ICheckpointStore store, IKeyedStateBackend backend, IReadOnlyList<KeyGroupState> keyGroups, CancellationToken cancellationToken)
    {
        var spans = keyGroups
            .SelectMany(k => k.Segments)
            .GroupBy(s => s.Path, StringComparer.Ordinal)
            .Select(g => (Path: g.Key, Start: g.Min(s => s.Offset), End: g.Max(s => s.Offset + s.Length)));
        var files = new Dictionary<string, (long Start, byte[] Bytes)>(StringComparer.Ordinal);
        foreach (var (path, start, end) in spans)
        {
            if (start < 0 || end < start)
            {
                throw new CorruptCheckpointException($"{store.Location}{path}", $"its segments span bytes [{start}, {end}), which is not a range");
            }

            try
            {
                var file = await store.GetFileAsync(path, cancellationToken) ?? throw new CheckpointFileNotFoundException(path, store.Location);
                if (file.Length < end)
                {
                    var (keyGroup, segment) = keyGroups.SelectMany(k => k.Segments.Select(s => (k.KeyGroup, Segment: s))).First(s => s.Segment.Path == path && s.Segment.Offset + s.Segment.Length > file.Length);
                    throw new CorruptCheckpointException($"{store.Location}{path}", $"key group {keyGroup} spans bytes [{segment.Offset}, {segment.Offset + segment.Length}) but the file has {file.Length}: it is truncated");
                }

                files[path] = (start, await store.ReadAllBytesAsync(path, start, end - start, cancellationToken));
            }
            catch (CheckpointFileNotFoundException e)
            {
                throw new CorruptCheckpointException($"{store.Location}{path}", "the state file is missing", e);
            }
        }

        foreach (var group in keyGroups)
        {
            for (var i = 0; i < group.Segments.Count; i++)
            {
                var segment = group.Segments[i];
                var (start, file) = files[segment.Path];
                var bytes = file.AsSpan((int)(segment.Offset - start), (int)segment.Length);
                var actual = Crc32C.Compute(bytes);
                if (actual != segment.Checksum)
                {
                    throw new CorruptCheckpointException($"{store.Location}{segment.Path}", $"key group {group.KeyGroup} does not match its checksum (stored {segment.Checksum:x8}, computed {actual:x8})");
                }

                switch (segment.Kind)
                {
                    case SegmentKind.Full when i == 0:
                        backend.RestoreKeyGroup(group.KeyGroup, bytes);
                        break;
                    case SegmentKind.Delta:
                        backend.ApplyKeyGroupDelta(group.KeyGroup, bytes);
                        break;
                    default:
                        throw new CorruptCheckpointException($"{store.Location}{segment.Path}", $"key group {group.KeyGroup} has a {segment.Kind} segment at position {i} of its chain; only the first may be full");
                }
            }
        }
    }
}
