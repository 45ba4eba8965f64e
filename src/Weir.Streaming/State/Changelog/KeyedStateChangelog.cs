using Weir.Checkpointing.Metadata;
using Weir.Storage;
using Weir.Streaming.Tasks;

namespace Weir.Streaming.State.Changelog;

/// <summary>
/// Incremental checkpoints of one keyed operator subtask (after Flink's changelog state backend,
/// FLIP-158, on the heap backend's own change tracking).
/// <list type="number">
/// <item>Writes record, per key group and state, which keys changed and how (<see cref="KeyChangeSet{TKey}"/>).</item>
/// <item>At checkpoint n (the cut, on the task thread) the changes are serialized and forgotten; the
/// asynchronous part writes them as one delta file in <c>shared/</c> with a Delta segment per
/// changed key group. Every key group's state in checkpoint n is its chain: its latest
/// materialization (a Full segment in <c>shared/</c>) and the deltas since, in order.</item>
/// <item>Materializations run in the background: at a cut, key groups the
/// <see cref="MaterializationPolicy"/> finds due are captured (values copied on write) and written while the
/// task goes on; the first cut after the upload finished rebases their chains onto it (deltas up
/// to the materialization's cut drop out). A key group whose chain cannot go on is materialized
/// by the checkpoint itself.</item>
/// <item>Files: <see cref="ChangelogFile"/> says who owns which. The subtask deletes files only it
/// knew of once nothing needs them; files named by a completed checkpoint belong to the
/// coordinator's shared-state registry.</item>
/// </list>
/// Restored chains go on only if the job owns their files (<see cref="ChangelogOptions.RestoredStateOwned"/>)
/// and they live in <c>shared/</c>; otherwise the first checkpoint materializes those key groups
/// into the job's own files (NO_CLAIM). Task thread only, except where noted.
/// </summary>
internal sealed class KeyedStateChangelog : IDisposable
{
    private readonly IKeyedStateBackend _backend;
    private readonly ICheckpointStore _store;
    private readonly string _filePrefix;
    private readonly ChangelogOptions _options;
    private readonly TimeProvider _clock;
    private readonly KeyGroupChain[] _chains;
    private readonly SortedDictionary<long, PendingCut> _pending = [];
    private readonly HashSet<ChangelogFile> _files = [];
    private readonly CancellationTokenSource _shutdown = new();
    private readonly List<Task> _deletes = [];
    private readonly DeltaBuffers _deltaBuffers = new();
    private Materialization? _materialization;
    private bool _disposed;

    public KeyedStateChangelog(
        IKeyedStateBackend backend,
        ICheckpointStore store,
        string jobId,
        string operatorUid,
        int subtaskIndex,
        ChangelogOptions options,
        TimeProvider clock,
        IReadOnlyList<KeyGroupState>? restored)
    {
        _backend = backend;
        _store = store;
        _filePrefix = $"{CheckpointLayout.SharedDirectory(jobId)}/{operatorUid}-{subtaskIndex}";
        _options = options;
        _clock = clock;
        var now = clock.GetUtcNow();
        _chains = new KeyGroupChain[backend.Range.Count];
        for (var i = 0; i < _chains.Length; i++)
        {
            _chains[i] = new KeyGroupChain(now);
        }

        backend.TrackChanges();
        if (restored is not null)
        {
            Restore(restored);
        }
    }

    private KeyGroupRange Range => _backend.Range;

    /// <summary>Files the subtask holds for its next checkpoints and its unresolved ones: chains, pending cuts, the running materialization (not those it found nothing to write to).</summary>
    public IReadOnlyCollection<string> LiveFiles =>
        _files.Where(f => IsInUse(f) && f.Written is not { IsCompletedSuccessfully: true, Result.Count: 0 })
            .Select(f => f.Path)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>True while a background materialization is being written or waits to be applied at the next cut.</summary>
    public bool IsMaterializing => _materialization is not null;

    /// <summary>The background materialization's upload, or a completed task if none runs (for tests and benchmarks).</summary>
    public Task MaterializationUpload => _materialization?.File.Written ?? Task.CompletedTask;

    /// <summary>Completes when every delete this changelog started has ended (for tests: no sleeps).</summary>
    public Task Deletes
    {
        get
        {
            lock (_deletes)
            {
                return Task.WhenAll(_deletes);
            }
        }
    }

    /// <summary>Bytes of completed background materializations (for figures).</summary>
    public long MaterializedBytes { get; private set; }

    /// <summary>The longest chain of deltas, over the key groups.</summary>
    public int LongestChain => _chains.Max(c => c.Deltas.Count);

    /// <summary>
    /// The synchronous part of incremental checkpoint <paramref name="checkpointId"/>: O(changed keys
    /// + key groups), serializing the changed keys' current values and copying none.
    /// </summary>
    public ChangelogSnapshot Capture(long checkpointId)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var rebased = ApplyFinishedMaterialization();
        RepairBrokenChains();
        var now = _clock.GetUtcNow();
        var tables = _backend.Tables.ToArray();
        var changes = new int[_chains.Length];
        var entries = new int[_chains.Length];
        foreach (var table in tables)
        {
            for (var index = 0; index < _chains.Length; index++)
            {
                changes[index] += table.ChangeCount(index);
                entries[index] += table.EntryCount(index);
            }
        }

        var inCheckpoint = MaterializationPolicy.InCheckpoint(_chains, changes, entries, _options.MaxDeltaChainLength);

        // 1. The changes since the last cut, serialized now (taken from every key group, so tracking
        //    restarts empty; those of key groups materialized below are in the materialization).
        (SerializedDelta Changes, ChangelogFile File)? delta = null;
        var changed = new List<(IStateTable, int)>(tables.Length);
        for (var index = 0; index < _chains.Length; index++)
        {
            var materialized = inCheckpoint.Contains(index);
            changed.Clear();
            foreach (var table in tables)
            {
                if (materialized)
                {
                    table.DiscardChanges(index);
                }
                else if (table.ChangeCount(index) > 0)
                {
                    changed.Add((table, index));
                }
            }

            if (changed.Count > 0)
            {
                delta ??= (new SerializedDelta(_deltaBuffers), NewFile(checkpointId, SegmentKind.Delta));
                delta.Value.Changes.AddBlock(Range.Start + index, changed);
                _chains[index].AddDelta(delta.Value.File);
            }
        }

        // 2. Key groups the checkpoint must materialize itself: one file per materialization group.
        var materializations = new List<(KeyedStateSnapshot, ChangelogFile)>();
        foreach (var group in inCheckpoint.GroupBy(index => MaterializationPolicy.GroupOf(index, _chains.Length)))
        {
            var indexes = group.ToHashSet();
            var materialization = KeyedStateSnapshot.Capture(Range, tables, indexes.Contains);
            var file = NewFile(checkpointId, SegmentKind.Full);
            materializations.Add((materialization, file));
            var captured = materialization.KeyGroups.ToHashSet();
            foreach (var index in indexes)
            {
                _chains[index].Rebase(captured.Contains(Range.Start + index) ? file : null, checkpointId, now);
            }
        }

        // 3. A background materialization, if key groups are due and none runs. Not at the cut that
        //    rebased onto one: the files it superseded go once this checkpoint completes, and a
        //    second group rewritten meanwhile would keep three copies of a group's state at once.
        if (_materialization is null && !rebased)
        {
            var due = MaterializationPolicy.Background(_chains, now, _options.PeriodicMaterializeInterval, _options.MaxDeltaChainLength);
            if (due.Count > 0)
            {
                var set = due.ToHashSet();
                _materialization = Materialization.Start(_store, KeyedStateSnapshot.Capture(Range, tables, set.Contains), NewFile(checkpointId, SegmentKind.Full), due, now, _shutdown.Token);
            }
        }

        // 4. The cut: every key group's chain as of now.
        var chains = new List<(int, ChangelogFile[])>();
        var named = new HashSet<ChangelogFile>();
        for (var index = 0; index < _chains.Length; index++)
        {
            if (_chains[index].IsEmpty)
            {
                continue;
            }

            var chain = _chains[index].Files.ToArray();
            chains.Add((Range.Start + index, chain));
            named.UnionWith(chain);
        }

        foreach (var file in named)
        {
            file.PendingReferences++;
        }

        var cut = new PendingCut(checkpointId, named);
        _pending[checkpointId] = cut;
        CollectOrphans();
        return new ChangelogSnapshot(Range, delta, materializations, chains, cut, _shutdown.Token);
    }

    /// <summary>
    /// Checkpoint <paramref name="checkpointId"/> completed: the files it names are the coordinator's.
    /// Earlier unresolved cuts are taken as completed too (their notification may be late or lost):
    /// their files are left to the coordinator, which at worst keeps one too long, never too short.
    /// </summary>
    public void NotifyComplete(long checkpointId)
    {
        if (!_pending.ContainsKey(checkpointId))
        {
            return;
        }

        foreach (var cut in _pending.Values.Where(c => c.CheckpointId <= checkpointId).ToArray())
        {
            _pending.Remove(cut.CheckpointId);
            foreach (var file in cut.Files)
            {
                file.Registered = true;
                file.PendingReferences--;
            }
        }

        CollectOrphans();
    }

    /// <summary>Checkpoint <paramref name="checkpointId"/> was aborted: files only it named (and no chain) are deleted.</summary>
    public void NotifyAborted(long checkpointId)
    {
        if (!_pending.Remove(checkpointId, out var cut))
        {
            return;
        }

        foreach (var file in cut.Files)
        {
            file.PendingReferences--;
        }

        CollectOrphans();
    }

    /// <summary>
    /// The task stops: uploads are cancelled; cuts whose state never reached an acknowledgement are
    /// dropped; every file the coordinator neither owns nor may learn of through a pending
    /// checkpoint is deleted (acknowledged ones are the coordinator's to delete if they abort).
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _shutdown.Cancel();
        foreach (var cut in _pending.Values.Where(c => !c.Acknowledged).ToArray())
        {
            _pending.Remove(cut.CheckpointId);
            foreach (var file in cut.Files)
            {
                file.PendingReferences--;
            }
        }

        foreach (var file in _files.Where(f => !f.Registered && f.PendingReferences == 0).ToArray())
        {
            Delete(file);
        }

        _files.Clear();
        _materialization = null;
    }

    private void Restore(IReadOnlyList<KeyGroupState> restored)
    {
        var files = new Dictionary<(string Path, SegmentKind Kind), ChangelogFile>();
        var segments = restored
            .SelectMany(k => k.Segments.Select(s => (k.KeyGroup, Segment: s)))
            .GroupBy(x => (x.Segment.Path, x.Segment.Kind))
            .ToDictionary(g => g.Key, g => g.GroupBy(x => x.KeyGroup).ToDictionary(x => x.Key, x => x.First().Segment));
        foreach (var group in restored)
        {
            var chain = _chains[group.KeyGroup - Range.Start];
            var continuable = _options.RestoredStateOwned
                && group.Segments.All(s => CheckpointLayout.IsSharedFile(s.Path))
                && group.Segments.Skip(1).All(s => s.Kind == SegmentKind.Delta);
            if (!continuable)
            {
                chain.NeedsMaterialization = true;
                continue;
            }

            ChangelogFile File(StateSegment segment)
            {
                var key = (segment.Path, segment.Kind);
                if (!files.TryGetValue(key, out var file))
                {
                    files[key] = file = new ChangelogFile(segment.Path, segments[key]);
                    _files.Add(file);
                }

                return file;
            }

            var hasBase = group.Segments.Count > 0 && group.Segments[0].Kind == SegmentKind.Full;
            chain.Restore(hasBase ? File(group.Segments[0]) : null, group.Segments.Skip(hasBase ? 1 : 0).Select(File).ToArray());
        }
    }

    /// <summary>Rebases the key groups of a finished background materialization (unless a newer one replaced them meanwhile); true if it did.</summary>
    private bool ApplyFinishedMaterialization()
    {
        if (_materialization is not { } done || !done.File.Written.IsCompleted)
        {
            return false;
        }

        _materialization = null;
        if (!done.File.Written.IsCompletedSuccessfully)
        {
            // Failed: the key groups stay due and the next cut tries again; the file is an orphan.
            return false;
        }

        var segments = done.File.Written.Result;
        MaterializedBytes += segments.Values.Sum(s => s.Length);
        foreach (var index in done.KeyGroupIndexes)
        {
            var chain = _chains[index];
            if (chain.BaseCut < done.Cut)
            {
                chain.Rebase(segments.ContainsKey(Range.Start + index) ? done.File : null, done.Cut, done.StartedAt);
            }
        }

        return true;
    }

    /// <summary>A chain with a file that failed to write cannot be restored: its key group is materialized by the next checkpoint.</summary>
    private void RepairBrokenChains()
    {
        foreach (var chain in _chains)
        {
            if (!chain.NeedsMaterialization && chain.Files.Any(f => f.Written.IsFaulted || f.Written.IsCanceled))
            {
                chain.NeedsMaterialization = true;
            }
        }
    }

    private ChangelogFile NewFile(long checkpointId, SegmentKind kind)
    {
        var file = new ChangelogFile($"{_filePrefix}-{checkpointId}-{Guid.NewGuid():N}.{(kind == SegmentKind.Full ? "full" : "delta")}", checkpointId);
        _files.Add(file);
        return file;
    }

    /// <summary>Deletes files only this subtask knew of and nothing needs; forgets the coordinator's files it no longer uses.</summary>
    private void CollectOrphans()
    {
        foreach (var file in _files.ToArray())
        {
            if (IsInUse(file))
            {
                continue;
            }

            _files.Remove(file);
            if (!file.Registered)
            {
                Delete(file);
            }
        }
    }

    /// <summary>A chain, an unresolved cut or the running materialization needs the file.</summary>
    private bool IsInUse(ChangelogFile file) => file.ChainReferences > 0 || file.PendingReferences > 0 || file == _materialization?.File;

    /// <summary>Deletes a file once its write has ended (a write in flight would otherwise land after the delete).</summary>
    private void Delete(ChangelogFile file)
    {
        var delete = file.Written
            .ContinueWith(_ => _store.DeleteAsync(file.Path), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)
            .Unwrap()
            .ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        lock (_deletes)
        {
            _deletes.RemoveAll(static d => d.IsCompleted);
            _deletes.Add(delete);
        }
    }

    /// <summary>A background materialization: key groups captured at a cut, written to one file while the task goes on.</summary>
    private sealed class Materialization
    {
        private Materialization(long cut, IReadOnlyList<int> keyGroupIndexes, ChangelogFile file, DateTimeOffset startedAt)
        {
            Cut = cut;
            KeyGroupIndexes = keyGroupIndexes;
            File = file;
            StartedAt = startedAt;
        }

        public long Cut { get; }

        public IReadOnlyList<int> KeyGroupIndexes { get; }

        public ChangelogFile File { get; }

        public DateTimeOffset StartedAt { get; }

        public static Materialization Start(ICheckpointStore store, KeyedStateSnapshot snapshot, ChangelogFile file, IReadOnlyList<int> keyGroupIndexes, DateTimeOffset now, CancellationToken shutdown)
        {
            _ = Task.Run(
                async () =>
                {
                    try
                    {
                        var handle = await snapshot.WriteAsync(store, file.Path, shutdown);
                        file.Complete(handle.KeyGroups);
                    }
                    catch (Exception exception)
                    {
                        file.Fail(exception);
                    }
                    finally
                    {
                        snapshot.Dispose();
                    }
                },
                CancellationToken.None);
            return new Materialization(file.Cut, keyGroupIndexes, file, now);
        }
    }
}
