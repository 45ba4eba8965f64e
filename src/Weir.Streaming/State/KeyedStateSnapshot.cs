using Weir.Checkpointing.Metadata;
using Weir.Storage;

namespace Weir.Streaming.State;

/// <summary>
/// A keyed-state snapshot between its two parts: captured synchronously (each key group's entries
/// copied by reference, see <see cref="StateTable{TKey, TValue}"/>), written asynchronously to
/// state files whose key-group blocks become the segments of a <see cref="KeyedStateHandle"/>.
/// The write releases each capture once it is serialized; disposing frees those left (never while
/// the write runs), so a snapshot written or not, or written part way, frees all.
///
/// A file is a <see cref="KeyGroupBlockFile"/> of full blocks, where a payload is
/// <c>entry count | key, value ...</c>. Full checkpoints write to <c>chk-n/</c>; incremental
/// checkpoints write materializations (of some key groups) to <c>shared/</c>.
///
/// Writers. The write is serialization, CPU work that competes with the tasks for the cores; a
/// snapshot captured with more than one writer splits its key groups into that many runs of about
/// as many entries each (at least <see cref="MinEntriesPerFile"/>) and writes each run to its own
/// file at once, so a large snapshot gets its share of the cores sooner. A restore reads segments,
/// whatever file they are in.
/// </summary>
internal sealed class KeyedStateSnapshot : IKeyedStateSnapshot
{
    /// <summary>A file of a snapshot split between writers holds at least this many entries: small state stays one file.</summary>
    public const int MinEntriesPerFile = 1 << 16;

    private readonly KeyGroupRange _range;
    private readonly List<(int KeyGroup, List<(IStateTable Table, object Capture)> States)> _groups;
    private readonly int[] _files;
    private int _released;

    private KeyedStateSnapshot(KeyGroupRange range, List<(int, List<(IStateTable, object)>)> groups, List<long> entries, int writers)
    {
        _range = range;
        _groups = groups;
        _files = SplitPoints(entries, writers);
    }

    /// <summary>True if no key group holds state.</summary>
    public bool IsEmpty => _groups.Count == 0;

    /// <summary>The key groups captured (those that hold state).</summary>
    public IEnumerable<int> KeyGroups => _groups.Select(g => g.KeyGroup);

    /// <summary>How many files <see cref="WriteAsync"/> writes.</summary>
    public int FileCount => _files.Length - 1;

    /// <summary>
    /// Captures every non-empty key group of <paramref name="range"/> (or, with <paramref name="includeIndex"/>,
    /// those whose index it accepts), to be written by up to <paramref name="writers"/> writers.
    /// </summary>
    public static KeyedStateSnapshot Capture(KeyGroupRange range, IEnumerable<IStateTable> tables, Func<int, bool>? includeIndex = null, int writers = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(writers, 1);
        var tableList = tables.ToArray();
        var groups = new List<(int, List<(IStateTable, object)>)>();
        var entries = new List<long>();
        for (var index = 0; index < range.Count; index++)
        {
            if (includeIndex is not null && !includeIndex(index))
            {
                continue;
            }

            List<(IStateTable, object)>? states = null;
            long count = 0;
            foreach (var table in tableList)
            {
                if (table.Capture(index) is { } capture)
                {
                    (states ??= []).Add((table, capture));
                    count += table.EntryCount(index);
                }
            }

            if (states is not null)
            {
                groups.Add((range.Start + index, states));
                entries.Add(count);
            }
        }

        return new KeyedStateSnapshot(range, groups, entries, writers);
    }

    /// <summary>
    /// The files <see cref="WriteAsync"/> writes given <paramref name="exclusivePath"/>: that path
    /// itself, or, split between writers, that path with <c>.0</c>, <c>.1</c>, ... appended.
    /// </summary>
    public IReadOnlyList<string> ExclusiveFiles(string exclusivePath) =>
        IsEmpty ? [] : FileCount == 1 ? [exclusivePath] : [.. Enumerable.Range(0, FileCount).Select(i => $"{exclusivePath}.{i}")];

    /// <summary>Writes the captured key groups to the <see cref="ExclusiveFiles"/> of <paramref name="path"/> (create-only), at once, and describes them as segments.</summary>
    public async Task<KeyedStateHandle> WriteAsync(ICheckpointStore store, string path, CancellationToken cancellationToken)
    {
        if (IsEmpty)
        {
            return new KeyedStateHandle(_range, []);
        }

        var files = ExclusiveFiles(path);
        if (files.Count == 1)
        {
            return new KeyedStateHandle(_range, await WriteFileAsync(store, files[0], _groups, cancellationToken));
        }

        var writes = new Task<List<KeyGroupState>>[files.Count];
        for (var i = 0; i < writes.Length; i++)
        {
            var (file, groups) = (files[i], _groups.GetRange(_files[i], _files[i + 1] - _files[i]));
            writes[i] = Task.Run(() => WriteFileAsync(store, file, groups, cancellationToken), cancellationToken);
        }

        var keyGroups = await Task.WhenAll(writes);
        return new KeyedStateHandle(_range, [.. keyGroups.SelectMany(g => g)]);
    }

    /// <inheritdoc />
    /// <remarks>A full snapshot's file is in the checkpoint's own directory, which the coordinator owns from the start.</remarks>
    public void HandOver()
    {
    }

    /// <summary>
    /// Where the key groups split between files: file i holds groups [points[i], points[i + 1]).
    /// As many files as writers, fewer if a file would hold under <see cref="MinEntriesPerFile"/>
    /// entries; each run of key groups as close to an equal share of the entries as whole key groups allow.
    /// </summary>
    internal static int[] SplitPoints(IReadOnlyList<long> entries, int writers)
    {
        var total = entries.Sum();
        var files = (int)Math.Clamp(Math.Min(writers, total / MinEntriesPerFile), 1, Math.Max(1, entries.Count));
        var points = new int[files + 1];
        points[files] = entries.Count;
        long cumulative = 0;
        var group = 0;
        for (var file = 1; file < files; file++)
        {
            // A file takes at least one key group, leaves one for each file after it, and takes the next while that group's middle is short of its share.
            var target = total * file / files;
            while (group < entries.Count - (files - file) && (group == points[file - 1] || cumulative + (entries[group] / 2) < target))
            {
                cumulative += entries[group++];
            }

            points[file] = group;
        }

        return points;
    }

    /// <summary>Writes the groups' captures to one file, each released once serialized: the table changes those values in place again.</summary>
    private static Task<List<KeyGroupState>> WriteFileAsync(ICheckpointStore store, string path, List<(int KeyGroup, List<(IStateTable Table, object Capture)> States)> groups, CancellationToken cancellationToken) =>
        KeyGroupBlockFile.WriteAsync(
            store,
            path,
            groups,
            static (table, capture, writer) =>
            {
                table.WriteCaptured(capture, writer);
                table.Release(capture);
            },
            SegmentKind.Full,
            cancellationToken);

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
    /// checkpoint writes only its <see cref="ExclusiveFiles"/>; an incremental one writes to
    /// <c>shared/</c> and references earlier files.
    /// </summary>
    Task<KeyedStateHandle> WriteAsync(ICheckpointStore store, string exclusivePath, CancellationToken cancellationToken);

    /// <summary>The files of this checkpoint <see cref="WriteAsync"/> may write, named after <paramref name="exclusivePath"/>: what to delete if the checkpoint is aborted.</summary>
    IReadOnlyList<string> ExclusiveFiles(string exclusivePath);

    /// <summary>
    /// The written state goes to the coordinator in an acknowledgement: from now on the shared files
    /// it names are the coordinator's to delete should the checkpoint not complete. Called once the
    /// acknowledgement is certain to be sent, never after the task's state backend stopped.
    /// </summary>
    void HandOver();
}
