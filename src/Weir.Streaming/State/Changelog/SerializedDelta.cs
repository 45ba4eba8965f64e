using System.Collections.Concurrent;
using Weir.Checkpointing.Metadata;
using Weir.Serialization;
using Weir.Storage;

namespace Weir.Streaming.State.Changelog;

/// <summary>
/// The changes of one cut, serialized at the cut (on the task thread) as the blocks of its delta
/// file, one per changed key group, into a buffer lent by <see cref="DeltaBuffers"/>; uploaded
/// later. Serializing at the cut keeps no copy of a changed value alive until the upload, so the
/// cut allocates nothing once the buffers have grown to their working size.
/// </summary>
internal sealed class SerializedDelta
{
    private readonly DeltaBuffers _buffers;
    private readonly List<(int KeyGroup, int Length)> _layout = [];
    private DataWriter? _writer;

    public SerializedDelta(DeltaBuffers buffers)
    {
        _buffers = buffers;
        _writer = buffers.Rent();
    }

    /// <summary>True if no key group had changes.</summary>
    public bool IsEmpty => _layout.Count == 0;

    /// <summary>Bytes serialized.</summary>
    public int Length => _writer?.Length ?? 0;

    /// <summary>Appends key group <paramref name="keyGroup"/>'s block: the changes of each state (table and key-group index; each has some).</summary>
    public void AddBlock(int keyGroup, IReadOnlyList<(IStateTable Table, int KeyGroupIndex)> states)
    {
        var writer = _writer ?? throw new InvalidOperationException("The delta was already released.");
        var start = writer.Length;
        KeyGroupBlockFile.WriteBlock(writer, states, static (table, index, w) => table.WriteChanges(index, w));
        _layout.Add((keyGroup, writer.Length - start));
    }

    /// <summary>Writes the blocks to <paramref name="path"/> (create-only) and returns their segments.</summary>
    public Task<List<KeyGroupState>> WriteAsync(ICheckpointStore store, string path, CancellationToken cancellationToken)
    {
        var writer = _writer ?? throw new InvalidOperationException("The delta was already released.");
        return KeyGroupBlockFile.WriteAsync(store, path, writer.WrittenMemory, _layout, SegmentKind.Delta, cancellationToken);
    }

    /// <summary>Gives the buffer back (once; after the upload ended, or if there is none).</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _writer, null) is { } writer)
        {
            _buffers.Return(writer);
        }
    }
}

/// <summary>
/// The buffers one changelog serializes its cuts' deltas into, reused from cut to cut (a cut's
/// upload usually ends before the next cut, so one or two suffice).
/// </summary>
internal sealed class DeltaBuffers
{
    private const int Kept = 2;
    private readonly ConcurrentStack<DataWriter> _free = new();

    public DataWriter Rent() => _free.TryPop(out var writer) ? writer : new DataWriter(64 * 1024);

    public void Return(DataWriter writer)
    {
        writer.Reset();
        if (_free.Count < Kept)
        {
            _free.Push(writer);
        }
    }
}
