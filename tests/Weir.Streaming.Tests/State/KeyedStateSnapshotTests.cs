using System.Runtime.CompilerServices;
using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Storage;
using Weir.Storage.InMemory;
using Weir.Streaming.State;

namespace Weir.Streaming.Tests.State;

/// <summary>
/// Copy-on-write snapshots: what a snapshot writes is the state at capture time, whatever the task
/// did to its state between capture and write, and it restores exactly.
/// </summary>
public sealed class KeyedStateSnapshotTests
{
    private const int MaxParallelism = 128;
    private static readonly KeyGroupRange All = new(0, MaxParallelism);

    private readonly InMemoryCheckpointStore _store = new(new ManualTimeProvider());

    [Fact]
    public async Task A_restored_snapshot_equals_the_state_at_capture_time_not_the_state_after_later_writes()
    {
        for (var seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            var live = StateModel.States.Register(new HeapKeyedStateBackend<string>(All, MaxParallelism));
            var model = new StateModel();
            var log = new List<string>();
            for (var i = random.Next(0, 60); i > 0; i--)
            {
                log.Add(model.ApplyRandom(random, live));
            }

            using var first = live.Backend.Snapshot();
            var atFirst = model.Clone();
            log.Add("-- snapshot 1");
            for (var i = random.Next(0, 60); i > 0; i--)
            {
                log.Add(model.ApplyRandom(random, live));
            }

            // A second snapshot pinned while the first is still unwritten.
            using var second = live.Backend.Snapshot();
            var atSecond = model.Clone();
            log.Add("-- snapshot 2");
            for (var i = random.Next(0, 60); i > 0; i--)
            {
                log.Add(model.ApplyRandom(random, live));
            }

            var context = $"seed {seed} after [{string.Join("; ", log)}]";
            atFirst.AssertMatches(await RestoreAsync(first, $"job/chk-1/op-{seed}", registerFirst: seed % 2 == 0), $"{context}, snapshot 1");
            atSecond.AssertMatches(await RestoreAsync(second, $"job/chk-2/op-{seed}", registerFirst: seed % 2 == 1), $"{context}, snapshot 2");
            model.AssertMatches(live, $"{context}, live state");
        }
    }

    [Fact]
    public async Task A_change_in_place_during_an_upload_copies_only_the_value_it_changes_and_the_snapshot_keeps_the_old_one()
    {
        // One key group: every key is in the one capture.
        var backend = new HeapKeyedStateBackend<string>(new KeyGroupRange(0, 1), 1);
        var lists = backend.GetListState(new ListStateDescriptor<int>("lists"));
        for (var i = 0; i < 100; i++)
        {
            backend.SetCurrentKey($"key-{i}");
            lists.Add(i);
        }

        var before = Enumerable.Range(0, 100).Select(i => { backend.SetCurrentKey($"key-{i}"); return lists.Get(); }).ToArray();
        using var snapshot = backend.Snapshot();
        backend.SetCurrentKey("key-7");
        lists.Add(700);
        lists.Add(701);
        var after = Enumerable.Range(0, 100).Select(i => { backend.SetCurrentKey($"key-{i}"); return lists.Get(); }).ToArray();

        Assert.NotSame(before[7].Source, after[7].Source);
        Assert.Equal([7], before[7]);
        Assert.Equal([7, 700, 701], after[7]);
        Assert.All(Enumerable.Range(0, 100).Where(i => i != 7), i => Assert.Same(before[i].Source, after[i].Source));

        var handle = await snapshot.WriteAsync(_store, "job/chk-1/op", CancellationToken.None);
        var restored = new HeapKeyedStateBackend<string>(new KeyGroupRange(0, 1), 1);
        var restoredLists = restored.GetListState(new ListStateDescriptor<int>("lists"));
        await KeyedStateRestore.RestoreAsync(_store, restored, handle.KeyGroups, CancellationToken.None);
        restored.SetCurrentKey("key-7");
        Assert.Equal([7], restoredLists.Get());
    }

    [Fact]
    public async Task A_key_group_larger_than_a_capture_chunk_snapshots_every_entry_once_and_again_after_its_chunks_are_reused()
    {
        // One key group of 10,001 entries: two full 4,096-entry chunks and a partial one; captured
        // twice, the second time from the chunks the first gave back, with a key more and values changed.
        var backend = new HeapKeyedStateBackend<long>(new KeyGroupRange(0, 1), 1);
        var values = backend.GetValueState(new ValueStateDescriptor<long>("values"));
        for (var key = 0L; key < 10_001; key++)
        {
            backend.SetCurrentKey(key);
            values.Update(key * 3);
        }

        for (var round = 1; round <= 2; round++)
        {
            var expected = round == 1 ? 10_001 : 10_002;
            using (var snapshot = backend.Snapshot())
            {
                backend.SetCurrentKey(5L);
                values.Update(-1); // after the capture: not in this snapshot
                var handle = await snapshot.WriteAsync(_store, $"job/chk-{round}/op", CancellationToken.None);
                var restored = new HeapKeyedStateBackend<long>(new KeyGroupRange(0, 1), 1);
                var restoredValues = restored.GetValueState(new ValueStateDescriptor<long>("values"));
                await KeyedStateRestore.RestoreAsync(_store, restored, handle.KeyGroups, CancellationToken.None);
                Assert.Equal(expected, restored.Tables.Sum(t => t.EntryCount(0)));
                for (var key = 0L; key < expected; key++)
                {
                    restored.SetCurrentKey(key);
                    Assert.Equal(key == 5 && round == 2 ? -1 : key * 3, restoredValues.Value);
                }
            }

            backend.SetCurrentKey(10_001L);
            values.Update(10_001 * 3);
        }
    }

    [Fact]
    public async Task A_written_snapshot_keeps_no_value_that_refers_to_objects_alive_once_the_state_drops_it()
    {
        // Lists are objects: the capture's chunks (two full ones here, which the table keeps for the next
        // capture, and a partial one from the shared pool) are cleared when the snapshot is released. The
        // list made last is not watched: it stayed reachable after being cleared even when no snapshot was
        // taken, so through something other than a capture (not looked into).
        var backend = new HeapKeyedStateBackend<long>(new KeyGroupRange(0, 1), 1);
        var lists = backend.GetListState(new ListStateDescriptor<long>("lists"));
        var alive = FillAndWatch(backend, lists, keys: 10_001);
        using (var snapshot = backend.Snapshot())
        {
            await snapshot.WriteAsync(_store, "job/chk-1/op", CancellationToken.None);
        }

        await Task.Yield();

        for (var key = 0L; key < 10_001; key++)
        {
            backend.SetCurrentKey(key);
            lists.Clear();
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal(10_000, alive.Length);
        Assert.Equal(0, alive.Count(w => w.IsAlive));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference[] FillAndWatch(HeapKeyedStateBackend<long> backend, IListState<long> lists, int keys)
    {
        for (var key = 0L; key < keys; key++)
        {
            backend.SetCurrentKey(key);
            lists.Add(key);
        }

        var table = (StateTable<long, List<long>>)backend.Tables.Single();
        return [.. table.EntriesOf(0).Where(e => e.Key != keys - 1).Select(e => new WeakReference(e.Value))];
    }

    [Fact]
    public async Task Writes_after_the_snapshot_is_written_and_released_go_on_and_a_new_snapshot_sees_them()
    {
        var live = StateModel.States.Register(new HeapKeyedStateBackend<string>(All, MaxParallelism));
        var model = new StateModel();
        var random = new Random(1);
        for (var i = 0; i < 50; i++)
        {
            model.ApplyRandom(random, live);
        }

        using (var snapshot = live.Backend.Snapshot())
        {
            await snapshot.WriteAsync(_store, "job/chk-1/op", CancellationToken.None);
        }

        for (var i = 0; i < 50; i++)
        {
            model.ApplyRandom(random, live);
        }

        using var next = live.Backend.Snapshot();
        model.AssertMatches(await RestoreAsync(next, "job/chk-2/op", registerFirst: true), "second snapshot");
    }

    [Fact]
    public async Task An_empty_backend_snapshots_to_no_file_and_restores_empty()
    {
        var backend = new HeapKeyedStateBackend<string>(All, MaxParallelism);
        StateModel.States.Register(backend);

        using var snapshot = backend.Snapshot();
        var handle = await snapshot.WriteAsync(_store, "job/chk-1/op", CancellationToken.None);

        Assert.True(snapshot.IsEmpty);
        Assert.Empty(handle.KeyGroups);
        Assert.Equal(All, handle.Range);
        Assert.Equal(0, _store.Count);
    }

    [Fact]
    public async Task Small_state_becomes_one_file_with_a_checksummed_segment_per_key_group_however_many_writers()
    {
        var live = StateModel.States.Register(new HeapKeyedStateBackend<string>(All, MaxParallelism));
        foreach (var key in StateModel.Keys)
        {
            live.Backend.SetCurrentKey(key);
            live.Value.Update(key);
        }

        using var snapshot = live.Backend.Snapshot(writers: 8);
        var handle = await snapshot.WriteAsync(_store, "job/chk-1/op", CancellationToken.None);

        Assert.Equal(["job/chk-1/op"], snapshot.ExclusiveFiles("job/chk-1/op"));
        Assert.Equal(1, _store.Count);

        var groups = StateModel.Keys.Select(k => KeyGroupAssigner.KeyGroupFor(k, MaxParallelism)).Distinct().Order();
        Assert.Equal(groups, handle.KeyGroups.Select(g => g.KeyGroup));
        var file = await _store.ReadAllBytesAsync("job/chk-1/op");
        var segments = handle.KeyGroups.Select(g => Assert.Single(g.Segments)).ToArray();
        Assert.All(segments, s => Assert.Equal(("job/chk-1/op", SegmentKind.Full), (s.Path, s.Kind)));
        Assert.Equal(file.Length, segments.Sum(s => s.Length));
        Assert.Equal(Enumerable.Range(0, segments.Length).Select(i => segments.Take(i).Sum(s => s.Length)), segments.Select(s => s.Offset));
        Assert.All(segments, s => Assert.Equal(Weir.Storage.Checksums.Crc32C.Compute(file.AsSpan((int)s.Offset, (int)s.Length)), s.Checksum));
    }

    [Fact]
    public async Task A_snapshot_split_between_four_writers_writes_four_files_of_whole_key_groups_and_restores_every_entry()
    {
        // 300,000 entries over 128 key groups: room for four files of at least 65,536 entries each.
        var backend = new HeapKeyedStateBackend<long>(All, MaxParallelism);
        var values = backend.GetValueState(new ValueStateDescriptor<long>("values"));
        const int Keys = 300_000;
        for (var key = 0L; key < Keys; key++)
        {
            backend.SetCurrentKey(key);
            values.Update(key * 7);
        }

        using var snapshot = backend.Snapshot(writers: 4);
        var handle = await snapshot.WriteAsync(_store, "job/chk-1/op", CancellationToken.None);

        string[] files = ["job/chk-1/op.0", "job/chk-1/op.1", "job/chk-1/op.2", "job/chk-1/op.3"];
        Assert.Equal(files, snapshot.ExclusiveFiles("job/chk-1/op"));
        Assert.Equal(files, (await _store.ListFilesAsync("job/chk-1").ToListAsync()).Select(f => f.Path).Order());

        // Each file: a run of whole key groups, back to back from offset 0, every byte in a segment.
        var segments = handle.KeyGroups.Select(g => (g.KeyGroup, Segment: Assert.Single(g.Segments))).ToArray();
        Assert.Equal(Enumerable.Range(0, MaxParallelism), segments.Select(s => s.KeyGroup));
        Assert.Equal(files, segments.Select(s => s.Segment.Path).Distinct());
        foreach (var file in files)
        {
            var inFile = segments.Select(s => s.Segment).Where(s => s.Path == file).ToArray();
            var bytes = await _store.ReadAllBytesAsync(file);
            Assert.Equal(Enumerable.Range(0, inFile.Length).Select(i => inFile.Take(i).Sum(s => s.Length)), inFile.Select(s => s.Offset));
            Assert.Equal(bytes.Length, inFile.Sum(s => s.Length));
            Assert.InRange(inFile.Length, 24, 40); // about a quarter of the 128 key groups, whose sizes differ a little
        }

        var restored = new HeapKeyedStateBackend<long>(All, MaxParallelism);
        var restoredValues = restored.GetValueState(new ValueStateDescriptor<long>("values"));
        await KeyedStateRestore.RestoreAsync(_store, restored, handle.KeyGroups, CancellationToken.None);
        Assert.Equal(Keys, Enumerable.Range(0, MaxParallelism).Sum(g => restored.Tables.Sum(t => t.EntryCount(g))));
        for (var key = 0L; key < Keys; key += 997)
        {
            restored.SetCurrentKey(key);
            Assert.Equal(key * 7, restoredValues.Value);
        }
    }

    [Theory]
    [InlineData(new long[] { 100_000, 100_000, 100_000, 100_000 }, 4, new[] { 0, 1, 2, 3, 4 })]
    [InlineData(new long[] { 100_000, 100_000, 100_000, 100_000 }, 8, new[] { 0, 1, 2, 3, 4 })] // no more files than key groups
    [InlineData(new long[] { 100_000, 100_000, 100_000, 100_000 }, 1, new[] { 0, 4 })]
    [InlineData(new long[] { 50_000, 50_000, 50_000 }, 4, new[] { 0, 1, 3 })] // 150,000 entries: two files of at least 65,536 (as near as whole groups allow)
    [InlineData(new long[] { 70_000, 70_000, 70_000 }, 4, new[] { 0, 1, 2, 3 })]
    [InlineData(new long[] { 400_000, 10, 10, 10, 10 }, 4, new[] { 0, 1, 2, 3, 5 })] // a file per key group when one outweighs the rest
    [InlineData(new long[] { 10, 10, 10, 400_000 }, 2, new[] { 0, 3, 4 })]
    [InlineData(new long[0], 4, new[] { 0, 0 })]
    public void Key_groups_split_into_runs_of_about_equal_entries(long[] entries, int writers, int[] expected)
    {
        var points = KeyedStateSnapshot.SplitPoints(entries, writers);

        Assert.Equal(expected, points);
    }

    [Fact]
    public void Every_split_gives_each_file_whole_key_groups_and_no_file_more_than_its_share_and_one_group()
    {
        var random = new Random(11);
        for (var round = 0; round < 2_000; round++)
        {
            var entries = Enumerable.Range(0, random.Next(1, 200)).Select(_ => (long)random.Next(0, random.Next(1, 60_000))).ToArray();
            var writers = random.Next(1, 10);
            var points = KeyedStateSnapshot.SplitPoints(entries, writers);

            var total = entries.Sum();
            var files = points.Length - 1;
            var context = $"round {round}: {entries.Length} groups, {total} entries, {writers} writers -> [{string.Join(", ", points)}]";
            Assert.True(points[0] == 0 && points[^1] == entries.Length, context);
            Assert.True(points.Zip(points.Skip(1)).All(p => p.First < p.Second), context);
            Assert.Equal(Math.Clamp(Math.Min(writers, total / KeyedStateSnapshot.MinEntriesPerFile), 1, entries.Length), files);
            for (var file = 0; file < files; file++)
            {
                var run = entries[points[file]..points[file + 1]];
                Assert.True(run.Sum() <= (total / files) + (2 * run.Max()), $"{context}: file {file} holds {run.Sum()}");
            }
        }
    }

    [Fact]
    public async Task A_snapshot_restored_at_a_higher_parallelism_gives_each_subtask_exactly_its_key_groups()
    {
        var live = StateModel.States.Register(new HeapKeyedStateBackend<string>(All, MaxParallelism));
        var model = new StateModel();
        var random = new Random(5);
        for (var i = 0; i < 200; i++)
        {
            model.ApplyRandom(random, live);
        }

        using var snapshot = live.Backend.Snapshot();
        var handle = await snapshot.WriteAsync(_store, "job/chk-1/op", CancellationToken.None);
        var operatorState = new OperatorStateSnapshot("op", "Op", 1, MaxParallelism, [new SubtaskStateSnapshot(0, handle, [])]);

        const int parallelism = 3;
        var restoredKeys = new List<string>();
        for (var subtask = 0; subtask < parallelism; subtask++)
        {
            var assignment = StateAssignment.Assign(operatorState, parallelism, MaxParallelism, subtask);
            var backend = new HeapKeyedStateBackend<string>(assignment.Range, MaxParallelism);
            var states = StateModel.States.Register(backend);

            await KeyedStateRestore.RestoreAsync(_store, backend, assignment.KeyGroups, CancellationToken.None);

            model.AssertMatches(states, $"subtask {subtask} of {parallelism}");
            restoredKeys.AddRange(StateModel.Keys.Where(k => assignment.Range.Contains(KeyGroupAssigner.KeyGroupFor(k, MaxParallelism))));
        }

        Assert.Equal(StateModel.Keys.Order(), restoredKeys.Order());
    }

    [Fact]
    public void Restoring_a_key_group_outside_the_backends_range_is_refused()
    {
        var backend = new HeapKeyedStateBackend<string>(new KeyGroupRange(10, 20), MaxParallelism);

        var error = Assert.Throws<InvalidOperationException>(() => backend.RestoreKeyGroup(20, [0]));

        Assert.Contains("Restored key group 20 is outside this subtask's range [10, 20)", error.Message);
    }

    [Fact]
    public async Task A_corrupted_byte_in_a_state_file_fails_restore_naming_the_file_and_the_key_group()
    {
        var (handle, bytes) = await WriteSampleAsync("job/chk-1/op");
        var target = handle.KeyGroups[handle.KeyGroups.Count / 2];
        var segment = target.Segments[0];
        for (var offset = segment.Offset; offset < segment.Offset + segment.Length; offset++)
        {
            var corrupt = bytes.ToArray();
            corrupt[offset] ^= 0x10;
            await _store.WriteAsync("job/chk-1/op", corrupt, WriteMode.Overwrite);
            var backend = new HeapKeyedStateBackend<string>(All, MaxParallelism);

            var error = await Assert.ThrowsAsync<CorruptCheckpointException>(() => KeyedStateRestore.RestoreAsync(_store, backend, handle.KeyGroups, CancellationToken.None));

            Assert.Equal("memory://default/job/chk-1/op", error.Path);
            Assert.Contains($"key group {target.KeyGroup} does not match its checksum", error.Message);
        }
    }

    [Fact]
    public async Task A_truncated_state_file_fails_restore_naming_the_file_and_the_key_group()
    {
        var (handle, bytes) = await WriteSampleAsync("job/chk-1/op");
        await _store.WriteAsync("job/chk-1/op", bytes.AsMemory(0, bytes.Length - 1), WriteMode.Overwrite);
        var last = handle.KeyGroups[^1];

        var error = await Assert.ThrowsAsync<CorruptCheckpointException>(() =>
            KeyedStateRestore.RestoreAsync(_store, new HeapKeyedStateBackend<string>(All, MaxParallelism), handle.KeyGroups, CancellationToken.None));

        Assert.Equal("memory://default/job/chk-1/op", error.Path);
        Assert.Contains($"key group {last.KeyGroup} spans bytes", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public async Task A_missing_state_file_fails_restore_naming_it()
    {
        var (handle, _) = await WriteSampleAsync("job/chk-1/op");
        await _store.DeleteAsync("job/chk-1/op");

        var error = await Assert.ThrowsAsync<CorruptCheckpointException>(() =>
            KeyedStateRestore.RestoreAsync(_store, new HeapKeyedStateBackend<string>(All, MaxParallelism), handle.KeyGroups, CancellationToken.None));

        Assert.Equal("memory://default/job/chk-1/op", error.Path);
        Assert.Contains("the state file is missing", error.Message);
    }

    private async Task<(KeyedStateHandle Handle, byte[] Bytes)> WriteSampleAsync(string path)
    {
        var live = StateModel.States.Register(new HeapKeyedStateBackend<string>(All, MaxParallelism));
        var model = new StateModel();
        var random = new Random(3);
        for (var i = 0; i < 100; i++)
        {
            model.ApplyRandom(random, live);
        }

        using var snapshot = live.Backend.Snapshot();
        var handle = await snapshot.WriteAsync(_store, path, CancellationToken.None);
        return (handle, await _store.ReadAllBytesAsync(path));
    }

    /// <summary>Writes <paramref name="snapshot"/> and restores it into a fresh backend (states registered before or after the restore).</summary>
    private async Task<StateModel.States> RestoreAsync(KeyedStateSnapshot snapshot, string path, bool registerFirst)
    {
        var handle = await snapshot.WriteAsync(_store, path, CancellationToken.None);
        var backend = new HeapKeyedStateBackend<string>(All, MaxParallelism);
        var states = registerFirst ? StateModel.States.Register(backend) : null;
        await KeyedStateRestore.RestoreAsync(_store, backend, handle.KeyGroups, CancellationToken.None);
        return states ?? StateModel.States.Register(backend);
    }
}
