using Weir.Checkpointing.Metadata;
using Weir.Storage;

namespace Weir.Checkpointing.Coordinator;

/// <summary>
/// Which files in <c>shared/</c> the job's checkpoints use, and when each may go (after Flink's
/// SharedStateRegistryImpl). Pure: it takes what happened and returns the paths to delete; the
/// coordinator deletes them.
/// <list type="bullet">
/// <item>Every shared file a completed checkpoint names is registered with the last checkpoint
/// that named it. When retention drops checkpoints, a file whose last
/// user is older than the lowest retained checkpoint goes: no retained checkpoint names it, and no
/// later one will (a subtask's chain names a file in every checkpoint until it drops it for good).
/// A watermark, not reference counts: a count misses a checkpoint that names a file again after a
/// subtask restored it, the bug Flink's registry had to be rewritten for.</item>
/// <item>Protected files are never deleted: those of a checkpoint restored in NO_CLAIM mode, of
/// savepoints, and of complete checkpoints this run found and does not own (older runs', kept by
/// <c>externalized-checkpoint-retention</c>).</item>
/// <item>Files that acknowledgements of checkpoints that never completed name are the subtasks'
/// while the attempt runs (a delta of an aborted checkpoint stays in its chain and the next
/// checkpoint names it). When the attempt ends, those no completed checkpoint registered go.</item>
/// <item>At start, a sweep removes files in <c>shared/</c> that no complete checkpoint names and
/// that are older than the newest complete checkpoint (left by a process that died).</item>
/// </list>
/// Not thread-safe: the coordinator calls it from one turn at a time.
/// </summary>
internal sealed class SharedStateRegistry
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unregistered = new(StringComparer.Ordinal);

    /// <summary>Registered files, for tests and diagnostics.</summary>
    public int Count => _entries.Count;

    /// <summary>The shared files <paramref name="checkpoint"/> names.</summary>
    public static IEnumerable<string> SharedFilesOf(CheckpointMetadata checkpoint) => checkpoint.ReferencedFiles().Where(CheckpointLayout.IsSharedFile);

    /// <summary>The shared files an acknowledgement names.</summary>
    public static IEnumerable<string> SharedFilesOf(TaskCheckpointAck ack) =>
        ack.OperatorStates.Values
            .SelectMany(s => s.KeyedState?.KeyGroups ?? [])
            .SelectMany(k => k.Segments)
            .Select(s => s.Path)
            .Where(CheckpointLayout.IsSharedFile)
            .Distinct(StringComparer.Ordinal);

    /// <summary>True if <paramref name="path"/> is registered or protected.</summary>
    public bool IsRegistered(string path) => _entries.ContainsKey(path);

    /// <summary>True if <paramref name="path"/> may never be deleted by this run.</summary>
    public bool IsProtected(string path) => _entries.TryGetValue(path, out var entry) && entry.Protected;

    /// <summary>A checkpoint of this job completed (or was claimed): its shared files are in use by it.</summary>
    public void Register(CheckpointMetadata checkpoint)
    {
        foreach (var path in SharedFilesOf(checkpoint))
        {
            _unregistered.Remove(path);
            if (_entries.TryGetValue(path, out var entry))
            {
                entry.LastUsedBy = Math.Max(entry.LastUsedBy, checkpoint.CheckpointId);
            }
            else
            {
                _entries[path] = new Entry(checkpoint.CheckpointId);
            }
        }
    }

    /// <summary>Files this run must never delete.</summary>
    public void Protect(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            _unregistered.Remove(path);
            if (!_entries.TryGetValue(path, out var entry))
            {
                _entries[path] = entry = new Entry(long.MinValue);
            }

            entry.Protected = true;
        }
    }

    /// <summary>An acknowledgement (of a checkpoint that may not complete) named these files.</summary>
    public void Acknowledged(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            if (!_entries.ContainsKey(path))
            {
                _unregistered.Add(path);
            }
        }
    }

    /// <summary>
    /// Retention now keeps no checkpoint older than <paramref name="lowestRetainedCheckpointId"/>
    /// (<see cref="long.MaxValue"/>: none at all). Returns the files to delete, and forgets them.
    /// </summary>
    public IReadOnlyList<string> Unregister(long lowestRetainedCheckpointId)
    {
        var unused = new List<string>();
        foreach (var (path, entry) in _entries)
        {
            if (!entry.Protected && entry.LastUsedBy < lowestRetainedCheckpointId)
            {
                unused.Add(path);
            }
        }

        foreach (var path in unused)
        {
            _entries.Remove(path);
        }

        return unused;
    }

    /// <summary>The attempt ended: returns the acknowledged files no completed checkpoint registered (nobody can name them any more), and forgets them.</summary>
    public IReadOnlyList<string> DiscardUnregistered()
    {
        var orphans = _unregistered.Where(p => !_entries.ContainsKey(p)).ToArray();
        _unregistered.Clear();
        return orphans;
    }

    /// <summary>
    /// The start-up sweep's decision: of the files in <c>shared/</c>, those no complete checkpoint
    /// names (<paramref name="referenced"/>), that are not registered or protected here, and that
    /// are older than the newest complete checkpoint. Nothing without a complete checkpoint.
    /// </summary>
    public IReadOnlyList<string> Sweep(IEnumerable<StoredFile> sharedFiles, IReadOnlySet<string> referenced, DateTimeOffset? newestComplete) =>
        newestComplete is not { } newest
            ? []
            : sharedFiles
                .Where(f => f.LastModified < newest && !referenced.Contains(f.Path) && !_entries.ContainsKey(f.Path) && CheckpointLayout.IsSharedFile(f.Path))
                .Select(f => f.Path)
                .ToArray();

    private sealed class Entry(long lastUsedBy)
    {
        public long LastUsedBy { get; set; } = lastUsedBy;

        public bool Protected { get; set; }
    }
}
