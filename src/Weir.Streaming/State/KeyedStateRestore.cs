using Weir.Checkpointing.Metadata;
using Weir.Storage;
using Weir.Storage.Checksums;

namespace Weir.Streaming.State;

/// <summary>
/// Loads a subtask's key groups from their segments: each state file is read once, every
/// segment is checked against its CRC-32C, and a mismatch fails with the file and key group named.
/// </summary>
internal static class KeyedStateRestore
{
    public static async Task RestoreAsync(ICheckpointStore store, IKeyedStateBackend backend, IReadOnlyList<KeyGroupState> keyGroups, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var path in keyGroups.SelectMany(k => k.Segments).Select(s => s.Path).Distinct())
        {
            try
            {
                files[path] = await store.ReadAllBytesAsync(path, cancellationToken: cancellationToken);
            }
            catch (CheckpointFileNotFoundException e)
            {
                throw new CorruptCheckpointException($"{store.Location}{path}", "the state file is missing", e);
            }
        }

        foreach (var group in keyGroups)
        {
            foreach (var segment in group.Segments)
            {
                var file = files[segment.Path];
                if (segment.Offset < 0 || segment.Offset + segment.Length > file.Length)
                {
                    throw new CorruptCheckpointException($"{store.Location}{segment.Path}", $"key group {group.KeyGroup} spans bytes [{segment.Offset}, {segment.Offset + segment.Length}) but the file has {file.Length}: it is truncated");
                }

                var bytes = file.AsSpan((int)segment.Offset, (int)segment.Length);
                var actual = Crc32C.Compute(bytes);
                if (actual != segment.Checksum)
                {
                    throw new CorruptCheckpointException($"{store.Location}{segment.Path}", $"key group {group.KeyGroup} does not match its checksum (stored {segment.Checksum:x8}, computed {actual:x8})");
                }

                if (segment.Kind != SegmentKind.Full)
                {
                    throw new NotSupportedException($"State segment kind {segment.Kind} in '{segment.Path}' needs the changelog state backend.");
                }

                backend.RestoreKeyGroup(group.KeyGroup, bytes);
            }
        }
    }
}
