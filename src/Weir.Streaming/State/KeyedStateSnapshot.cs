using Weir.Checkpointing.Metadata;
using Weir.Serialization;
using Weir.Storage;
using Weir.Storage.Checksums;

namespace Weir.Streaming.State;

/// <summary>
/// A keyed-state snapshot between its two parts: captured synchronously (key groups pinned,
/// see <see cref="StateTable{TKey, TValue}"/>), written asynchronously to one state file whose
/// key-group blocks become the segments of a <see cref="KeyedStateHandle"/>. Disposing releases
/// the pins, written or not.
///
/// Block format, per key group: <c>state count (varint) | per state: name (string) | payload length (int32) | payload</c>,
/// where a payload is <c>entry count | key, value ...</c>.
/// </summary>
internal sealed class KeyedStateSnapshot : IDisposable
{
    private readonly KeyGroupRange _range;
    private readonly List<(int KeyGroup, List<(IStateTable Table, object Capture)> States)> _groups;
    private int _released;

    private KeyedStateSnapshot(KeyGroupRange range, List<(int, List<(IStateTable, object)>)> groups)
    {
        _range = range;
        _groups = groups;
    }

    /// <summary>True if no key group holds state.</summary>
    public bool IsEmpty => _groups.Count == 0;

    public static KeyedStateSnapshot Capture(KeyGroupRange range, IEnumerable<IStateTable> tables)
    {
        var tableList = tables.ToArray();
        var groups = new List<(int, List<(IStateTable, object)>)>();
        for (var index = 0; index < range.Count; index++)
        {
            List<(IStateTable, object)>? states = null;
            foreach (var table in tableList)
            {
                if (table.Capture(index) is { } capture)
                {
                    (states ??= []).Add((table, capture));
                }
            }

            if (states is not null)
            {
                groups.Add((range.Start + index, states));
            }
        }

        return new KeyedStateSnapshot(range, groups);
    }

    /// <summary>Writes the pinned key groups to <paramref name="path"/> (create-only) and describes them as segments.</summary>
    public async Task<KeyedStateHandle> WriteAsync(ICheckpointStore store, string path, CancellationToken cancellationToken)
    {
        if (IsEmpty)
        {
            return new KeyedStateHandle(_range, []);
        }

        var keyGroups = new List<KeyGroupState>(_groups.Count);
        await store.WriteAsync(
            path,
            async (stream, ct) =>
            {
                var writer = new DataWriter(64 * 1024);
                long offset = 0;
                foreach (var (keyGroup, states) in _groups)
                {
                    writer.Reset();
                    WriteBlock(writer, states);
                    var checksum = Crc32C.Compute(writer.WrittenSpan);
                    await stream.WriteAsync(writer.WrittenMemory, ct);
                    keyGroups.Add(new KeyGroupState(keyGroup, [new StateSegment(path, offset, writer.Length, checksum, SegmentKind.Full)]));
                    offset += writer.Length;
                }
            },
            WriteMode.CreateOnly,
            cancellationToken);
        return new KeyedStateHandle(_range, keyGroups);
    }

    public static void WriteBlock(DataWriter writer, IReadOnlyList<(IStateTable Table, object Capture)> states)
    {
        writer.WriteVarInt32(states.Count);
        foreach (var (table, capture) in states)
        {
            writer.WriteString(table.Name);
            var lengthAt = writer.Length;
            writer.WriteInt32(0);
            table.WriteCaptured(capture, writer);
            writer.PatchInt32(lengthAt, writer.Length - lengthAt - 4);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        foreach (var (_, states) in _groups)
        {
            foreach (var (table, capture) in states)
            {
                table.Release(capture);
            }
        }
    }
}
