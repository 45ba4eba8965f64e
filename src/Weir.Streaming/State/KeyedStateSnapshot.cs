using Weir.Checkpointing.Metadata;
using Weir.Storage;

namespace Weir.Streaming.State;

/// <summary>
/// A keyed-state snapshot between its two parts: captured synchronously (each key group's entries
/// copied by reference, see <see cref="StateTable{TKey, TValue}"/>), written asynchronously to one
/// state file whose key-group blocks become the segments of a <see cref="KeyedStateHandle"/>.
/// Disposing frees the captures, written or not (never while the write runs).
///
/// The file is a <see cref="KeyGroupBlockFile"/> of full blocks, where a payload is
/// <c>entry count | key, value ...</c>. Full checkpoints write one to <c>chk-n/</c>; incremental
/// checkpoints write materializations (of some key groups) to <c>shared/</c>.
/// </summary>
internal sealed class KeyedStateSnapshot : IKeyedStateSnapshot
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

    /// <summary>The key groups captured (those that hold state).</summary>
    public IEnumerable<int> KeyGroups => _groups.Select(g => g.KeyGroup);

    /// <summary>Captures every non-empty key group of <paramref name="range"/> (or, with <paramref name="includeIndex"/>, those whose index it accepts).</summary>
    public static KeyedStateSnapshot Capture(KeyGroupRange range, IEnumerable<IStateTable> tables, Func<int, bool>? includeIndex = null)
    {
        var tableList = tables.ToArray();
        var groups = new List<(int, List<(IStateTable, object)>)>();
        for (var index = 0; index < range.Count; index++)
        {
            if (includeIndex is not null && !includeIndex(index))
            {
                continue;
            }

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

    /// <summary>Writes the captured key groups to <paramref name="path"/> (create-only) and describes them as segments.</summary>
    public async Task<KeyedStateHandle> WriteAsync(ICheckpointStore store, string path, CancellationToken cancellationToken)
    {
        if (IsEmpty)
        {
            return new KeyedStateHandle(_range, []);
        }

        var keyGroups = await KeyGroupBlockFile.WriteAsync(store, path, _groups, static (table, capture, writer) => table.WriteCaptured(capture, writer), SegmentKind.Full, cancellationToken);
        return new KeyedStateHandle(_range, keyGroups);
    }

    /// <inheritdoc />
    /// <remarks>A full snapshot's file is in the checkpoint's own directory, which the coordinator owns from the start.</remarks>
    public void HandOver()
    {
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

/// <summary>The keyed state of one operator subtask between the synchronous and the asynchronous part of a checkpoint.</summary>
internal interface IKeyedStateSnapshot : IDisposable
{
    /// <summary>
    /// Writes what the snapshot holds and describes it. A snapshot that writes files of this
    /// checkpoint only writes <paramref name="exclusivePath"/>; an incremental one writes to
    /// <c>shared/</c> and references earlier files.
    /// </summary>
    Task<KeyedStateHandle> WriteAsync(ICheckpointStore store, string exclusivePath, CancellationToken cancellationToken);

    /// <summary>
    /// The written state goes to the coordinator in an acknowledgement: from now on the shared files
    /// it names are the coordinator's to delete should the checkpoint not complete. Called once the
    /// acknowledgement is certain to be sent, never after the task's state backend stopped.
    /// </summary>
    void HandOver();
}
