using Weir.Checkpointing.Metadata;
using Weir.Storage;
using Weir.Storage.InMemory;
using Weir.Streaming.State;
using Weir.Streaming.State.Changelog;

namespace Weir.Streaming.Tests.State.Changelog;

/// <summary>
/// Incremental checkpoints of one subtask's keyed state: every checkpoint restores (base + deltas)
/// to the state at its cut; deltas hold only what changed; chains stay bounded; ownership decides
/// whether restored chains go on; files nobody needs are deleted and files a completed checkpoint
/// names never are.
/// </summary>
public sealed class KeyedStateChangelogTests
{
    private readonly ManualTimeProvider _clock = new();
    private readonly InMemoryCheckpointStore _store;

    public KeyedStateChangelogTests() => _store = new InMemoryCheckpointStore(_clock);

    [Fact]
    public async Task Every_checkpoint_restores_to_the_state_at_its_cut_through_deltas_and_materializations()
    {
        for (var seed = 0; seed < 120; seed++)
        {
            var random = new Random(seed);
            var store = new InMemoryCheckpointStore(_clock);
            var maxChain = random.Next(1, 5);
            var interval = random.Next(3) == 0 ? TimeSpan.FromSeconds(5) : TimeSpan.FromHours(1);
            using var subtask = new ChangelogHarness(store, _clock, ChangelogHarness.Options(maxChain, interval));
            var model = new StateModel();
            var log = new List<string>();
            for (long id = 1; id <= 25; id++)
            {
                for (var i = random.Next(0, 40); i > 0; i--)
                {
                    log.Add(model.ApplyRandom(random, subtask.States));
                }

                using var snapshot = subtask.Changelog.Capture(id);
                var atCut = model.Clone();
                log.Add($"-- cut {id}");

                // The task goes on between the two parts of the checkpoint.
                for (var i = random.Next(0, 20); i > 0; i--)
                {
                    log.Add(model.ApplyRandom(random, subtask.States));
                }

                var handle = await snapshot.WriteAsync(store, "unused", CancellationToken.None);
                snapshot.HandOver();
                var context = $"seed {seed}, max chain {maxChain}, checkpoint {id} after [{string.Join("; ", log.TakeLast(80))}]";
                Assert.All(handle.KeyGroups, k => Assert.True(k.Segments.Count <= (2 * maxChain) + 1, $"{context}: key group {k.KeyGroup} has a chain of {k.Segments.Count}"));
                atCut.AssertMatches(await ChangelogHarness.RestoreAsync(store, handle.KeyGroups), context);
                if (id % 5 == 0)
                {
                    // At another parallelism: key groups move whole, with their chains.
                    foreach (var range in new[] { new KeyGroupRange(0, 50), new KeyGroupRange(50, 128) })
                    {
                        atCut.AssertMatches(await ChangelogHarness.RestoreAsync(store, handle.KeyGroups.Where(k => range.Contains(k.KeyGroup)).ToArray(), range), $"{context}, range {range}");
                    }
                }

                switch (random.Next(4))
                {
                    case 0:
                        subtask.Changelog.NotifyAborted(id);
                        break;
                    case 1:
                        break;
                    default:
                        subtask.Changelog.NotifyComplete(id);
                        break;
                }

                if (random.Next(3) == 0)
                {
                    await subtask.Changelog.MaterializationUpload;
                }

                _clock.Advance(TimeSpan.FromSeconds(random.Next(0, 3)));
            }

            model.AssertMatches(subtask.States, $"seed {seed}: live state");
        }
    }

    [Fact]
    public async Task A_checkpoint_writes_only_the_keys_that_changed_and_references_earlier_files_for_the_rest()
    {
        using var subtask = new ChangelogHarness(_store, _clock, ChangelogHarness.Options(maxChain: 8));
        var value = new ValueStateDescriptor<string>("value");
        var state = subtask.States.Backend.GetValueState(value);
        for (var i = 0; i < 2_000; i++)
        {
            subtask.States.Backend.SetCurrentKey($"key-{i}");
            state.Update(new string('x', 100));
        }

        var first = await subtask.CheckpointAsync(1);
        subtask.Changelog.NotifyComplete(1);
        var firstFiles = first.KeyGroups.SelectMany(k => k.Segments).Select(s => s.Path).ToHashSet();

        for (var i = 0; i < 20; i++)
        {
            subtask.States.Backend.SetCurrentKey($"key-{i * 100}");
            state.Update(new string('y', 100));
        }

        var second = await subtask.CheckpointAsync(2);
        var newFiles = second.KeyGroups.SelectMany(k => k.Segments).Select(s => s.Path).Where(p => !firstFiles.Contains(p)).Distinct().ToArray();
        var delta = Assert.Single(newFiles);
        Assert.StartsWith("job/shared/op-0-2-", delta);
        var deltaBytes = (await _store.GetFileAsync(delta))!.Length;
        Assert.InRange(deltaBytes, 20 * 100, 20 * 140);
        Assert.InRange(second.KeyGroups.Count(k => k.Segments[^1].Path == delta), 1, 20);
        Assert.All(second.KeyGroups.Where(k => k.Segments[^1].Path == delta), k => Assert.Equal([SegmentKind.Delta, SegmentKind.Delta], k.Segments.Select(s => s.Kind)));
        Assert.All(second.KeyGroups.Where(k => k.Segments[^1].Path != delta), k => Assert.All(k.Segments, s => Assert.Contains(s.Path, firstFiles)));

        var restored = await ChangelogHarness.RestoreAsync(_store, second.KeyGroups);
        var restoredValue = restored.Backend.GetValueState(value);
        restored.Backend.SetCurrentKey("key-100");
        Assert.Equal(new string('y', 100), restoredValue.Value);
        restored.Backend.SetCurrentKey("key-101");
        Assert.Equal(new string('x', 100), restoredValue.Value);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_delta_carries_puts_removals_and_appends_whether_the_cut_looks_the_put_keys_up_or_scans_the_key_group(bool scan)
    {
        // One key group of 2,000 entries per state; the keys put straddle StateTable's scan threshold.
        const int Entries = 2_000;
        var range = new KeyGroupRange(0, 1);
        using var subtask = new ChangelogHarness(_store, _clock, ChangelogHarness.Options(maxChain: 8), range, maxParallelism: 1);
        var backend = subtask.States.Backend;
        var values = backend.GetValueState(new ValueStateDescriptor<string>("names"));
        var lists = backend.GetListState(new ListStateDescriptor<int>("lengths"));
        var expectedValues = new Dictionary<string, string>();
        var expectedLists = new Dictionary<string, List<int>>();
        void Put(string key, string value)
        {
            backend.SetCurrentKey(key);
            values.Update(value);
            expectedValues[key] = value;
            lists.Update([value.Length]);
            expectedLists[key] = [value.Length];
        }

        void Remove(string key)
        {
            backend.SetCurrentKey(key);
            values.Clear();
            expectedValues.Remove(key);
            lists.Clear();
            expectedLists.Remove(key);
        }

        void Append(string key, int element)
        {
            backend.SetCurrentKey(key);
            lists.Add(element);
            expectedLists.TryAdd(key, []);
            expectedLists[key].Add(element);
        }

        for (var i = 0; i < Entries; i++)
        {
            Put($"key-{i}", "v0");
        }

        await subtask.CheckpointAsync(1);
        subtask.Changelog.NotifyComplete(1);

        // Below the threshold the cut looks each put key up; at or above it, it scans (and stays under a bulk load's half).
        var puts = scan ? (Entries / StateTable<string, string>.ScanRatio) + 10 : (Entries / StateTable<string, string>.ScanRatio) - 10;
        Assert.True(2 * (puts + 10) < Entries - 10, "the changes must stay a delta, not a bulk load");
        for (var i = 0; i < puts; i++)
        {
            Put($"key-{i}", "v1");
        }

        Remove("key-1000");                                    // removed
        Remove("key-1001");
        Put("key-1001", "back");                               // removed, then put again
        Put("key-1002", "gone");
        Remove("key-1002");                                    // put, then removed
        Put("key-1003", "twice");
        Remove("key-1003");
        Put("key-1003", "thrice");                             // put, removed, put: listed twice
        Append("key-1004", 7);                                 // appended in place
        Append("key-1005", 8);
        Put("key-1005", "after-append");                       // appended, then put
        Put("key-1006", "before-append");
        Append("key-1006", 9);                                 // put, then appended
        Put("key-new", "new");                                 // a new key
        Append("key-1007", 1);                                 // appended, removed, and appended past its old length
        Remove("key-1007");
        Append("key-1007", 2);
        Append("key-1007", 3);
        Append("key-1007", 4);
        Remove("key-1008");                                    // removed, then appended to from empty
        Append("key-1008", 5);
        Append("key-1009", 6);                                 // appended, then removed
        Remove("key-1009");
        Append("key-new-list", 10);                            // a new key made by an append
        Append("key-new-list", 11);

        var handle = await subtask.CheckpointAsync(2);

        var keyGroup = Assert.Single(handle.KeyGroups);
        Assert.Equal(SegmentKind.Delta, keyGroup.Segments[^1].Kind);
        var restored = new HeapKeyedStateBackend<string>(range, 1);
        await KeyedStateRestore.RestoreAsync(_store, restored, handle.KeyGroups, CancellationToken.None);
        var restoredValues = restored.GetValueState(new ValueStateDescriptor<string>("names"));
        var restoredLists = restored.GetListState(new ListStateDescriptor<int>("lengths"));
        foreach (var key in expectedValues.Keys.Concat(["key-1000", "key-1002", "key-1007", "key-1008", "key-1009", "key-new-list"]))
        {
            restored.SetCurrentKey(key);
            Assert.Equal(expectedValues.GetValueOrDefault(key), restoredValues.Value);
            Assert.Equal(expectedLists.GetValueOrDefault(key) ?? [], restoredLists.Get());
        }

        Assert.Equal(expectedValues.Count, restored.Tables.Single(t => t.Name == "names").EntryCount(0));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_key_put_and_removed_over_and_over_between_two_checkpoints_costs_the_delta_a_record_or_two(bool scan)
    {
        // Scanned: 300 keys over 128 key groups. Looked up: 2,000 keys in one key group, one of them changed.
        var (keys, range, maxParallelism) = scan ? (300, new KeyGroupRange(0, 128), 128) : (2_000, new KeyGroupRange(0, 1), 1);
        using var subtask = new ChangelogHarness(_store, _clock, ChangelogHarness.Options(maxChain: 8), range, maxParallelism: maxParallelism);
        var backend = subtask.States.Backend;
        var values = backend.GetValueState(new ValueStateDescriptor<string>("churn"));
        var maps = backend.GetMapState(new MapStateDescriptor<int, int>("churn-map"));
        for (var i = 0; i < keys; i++)
        {
            backend.SetCurrentKey($"key-{i}");
            values.Update("v");
            maps.Put(1, 1);
        }

        var first = await subtask.CheckpointAsync(1);
        subtask.Changelog.NotifyComplete(1);
        var before = first.KeyGroups.SelectMany(k => k.Segments).Select(s => s.Path).ToHashSet();

        // Fewer changes than a bulk load (which would materialize the key group instead of writing a delta).
        backend.SetCurrentKey("key-7");
        for (var i = 0; i < 100; i++)
        {
            values.Clear();
            values.Update($"v{i}");
            maps.Clear();
            maps.Put(i, i);
        }

        var second = await subtask.CheckpointAsync(2);

        var delta = Assert.Single(second.KeyGroups.SelectMany(k => k.Segments), s => !before.Contains(s.Path));
        Assert.Equal(SegmentKind.Delta, delta.Kind);
        Assert.InRange(delta.Length, 1, 200);
        var restored = new HeapKeyedStateBackend<string>(range, maxParallelism);
        await KeyedStateRestore.RestoreAsync(_store, restored, second.KeyGroups, CancellationToken.None);
        restored.SetCurrentKey("key-7");
        Assert.Equal("v99", restored.GetValueState(new ValueStateDescriptor<string>("churn")).Value);
        Assert.Equal([KeyValuePair.Create(99, 99)], restored.GetMapState(new MapStateDescriptor<int, int>("churn-map")).Entries());
    }

    [Fact]
    public async Task Keys_created_and_removed_between_two_checkpoints_cost_the_delta_nothing()
    {
        // One key group of 2,000 entries; between the checkpoints 300 keys come and go in every kind of state
        // (a window's panes, a join's buffered rows), and one key the first checkpoint held changes.
        var range = new KeyGroupRange(0, 1);
        using var subtask = new ChangelogHarness(_store, _clock, ChangelogHarness.Options(maxChain: 8), range, maxParallelism: 1);
        var backend = subtask.States.Backend;
        var values = backend.GetValueState(new ValueStateDescriptor<string>("values"));
        var lists = backend.GetListState(new ListStateDescriptor<int>("lists"));
        var maps = backend.GetMapState(new MapStateDescriptor<int, int>("maps"));
        for (var i = 0; i < 2_000; i++)
        {
            backend.SetCurrentKey($"key-{i}");
            values.Update("v");
        }

        var first = await subtask.CheckpointAsync(1);
        subtask.Changelog.NotifyComplete(1);
        var before = first.KeyGroups.SelectMany(k => k.Segments).Select(s => s.Path).ToHashSet();

        for (var i = 0; i < 300; i++)
        {
            backend.SetCurrentKey($"transient-{i}");
            values.Update("t");
            lists.Add(i);
            lists.Add(i + 1);
            maps.Put(i, i);
            maps.Put(i + 1, i);
            values.Clear();
            lists.Clear();
            maps.Clear();
        }

        backend.SetCurrentKey("key-5");
        values.Update("changed");

        var second = await subtask.CheckpointAsync(2);

        var delta = Assert.Single(second.KeyGroups.SelectMany(k => k.Segments), s => !before.Contains(s.Path));
        Assert.Equal(SegmentKind.Delta, delta.Kind);
        Assert.InRange(delta.Length, 1, 100);
        var restored = new HeapKeyedStateBackend<string>(range, 1);
        await KeyedStateRestore.RestoreAsync(_store, restored, second.KeyGroups, CancellationToken.None);
        var restoredValues = restored.GetValueState(new ValueStateDescriptor<string>("values"));
        restored.GetListState(new ListStateDescriptor<int>("lists"));
        restored.GetMapState(new MapStateDescriptor<int, int>("maps"));
        Assert.Equal(2_000, restored.Tables.Single(t => t.Name == "values").EntryCount(0));
        Assert.All(restored.Tables.Where(t => t.Name != "values"), t => Assert.Equal(0, t.EntryCount(0)));
        restored.SetCurrentKey("key-5");
        Assert.Equal("changed", restoredValues.Value);
    }

    [Fact]
    public async Task A_bulk_load_is_materialized_by_the_checkpoint_in_one_file_per_group_of_key_groups()
    {
        using var subtask = new ChangelogHarness(_store, _clock, ChangelogHarness.Options(maxChain: 8));
        var state = subtask.States.Backend.GetValueState(new ValueStateDescriptor<string>("value"));
        for (var i = 0; i < 128 * 300; i++)
        {
            subtask.States.Backend.SetCurrentKey($"key-{i}");
            state.Update("v");
        }

        var handle = await subtask.CheckpointAsync(1);

        Assert.Equal(128, handle.KeyGroups.Count);
        Assert.All(handle.KeyGroups, k => Assert.Equal(SegmentKind.Full, Assert.Single(k.Segments).Kind));
        var files = handle.KeyGroups.GroupBy(k => k.Segments[0].Path).ToArray();
        Assert.Equal(MaterializationPolicy.MaxGroups, files.Length);
        Assert.All(files, f => Assert.Single(f.Select(k => MaterializationPolicy.GroupOf(k.KeyGroup, 128)).Distinct()));
        Assert.DoesNotContain(await ChangelogHarness.SharedFilesAsync(_store), p => p.EndsWith(".delta", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_checkpoint_without_changes_writes_nothing_and_names_the_same_chains()
    {
        using var subtask = new ChangelogHarness(_store, _clock, ChangelogHarness.Options());
        var model = new StateModel();
        var random = new Random(1);
        for (var i = 0; i < 50; i++)
        {
            model.ApplyRandom(random, subtask.States);
        }

        var first = await subtask.CheckpointAsync(1);
        var filesBefore = await ChangelogHarness.SharedFilesAsync(_store);
        var second = await subtask.CheckpointAsync(2);

        Assert.Equal(filesBefore, await ChangelogHarness.SharedFilesAsync(_store));
        Assert.Equal(first.KeyGroups.Select(k => string.Join(",", k.Segments)), second.KeyGroups.Select(k => string.Join(",", k.Segments)));
    }

    [Fact]
    public async Task Chains_reaching_the_maximum_are_materialized_in_the_background_and_the_next_cut_rebases_them()
    {
        using var subtask = new ChangelogHarness(_store, _clock, ChangelogHarness.Options(maxChain: 2));
        var model = new StateModel();
        var random = new Random(7);
        KeyedStateHandle? handle = null;
        for (long id = 1; id <= 3; id++)
        {
            for (var i = 0; i < 200; i++)
            {
                model.ApplyRandom(random, subtask.States);
            }

            handle = await subtask.CheckpointAsync(id);
            subtask.Changelog.NotifyComplete(id);
        }

        // Checkpoint 2 made chains of two deltas: due; a quarter of the key groups (the longest first) were pinned at that cut.
        Assert.True(subtask.Changelog.IsMaterializing || handle!.KeyGroups.Any(k => k.Segments[0].Kind == SegmentKind.Full));
        await subtask.Changelog.MaterializationUpload;
        handle = await subtask.CheckpointAsync(4);
        var rebased = handle.KeyGroups.Where(k => k.Segments[0].Kind == SegmentKind.Full).ToArray();
        Assert.NotEmpty(rebased);
        Assert.All(rebased, k => Assert.EndsWith(".full", k.Segments[0].Path));
        Assert.All(handle.KeyGroups, k => Assert.True(k.Segments.Count(s => s.Kind == SegmentKind.Delta) <= 4, $"key group {k.KeyGroup}: {k.Segments.Count} segments"));
        model.AssertMatches(await ChangelogHarness.RestoreAsync(_store, handle.KeyGroups), "after rebasing");
    }

    [Fact]
    public async Task Periodic_materialization_covers_key_groups_with_changes_older_than_the_interval()
    {
        using var subtask = new ChangelogHarness(_store, _clock, ChangelogHarness.Options(maxChain: 100, interval: TimeSpan.FromMinutes(1)));
        var model = new StateModel();
        var random = new Random(3);
        for (var i = 0; i < 100; i++)
        {
            model.ApplyRandom(random, subtask.States);
        }

        await subtask.CheckpointAsync(1);
        Assert.False(subtask.Changelog.IsMaterializing);
        _clock.Advance(TimeSpan.FromMinutes(1));
        model.ApplyRandom(random, subtask.States);
        await subtask.CheckpointAsync(2);
        Assert.True(subtask.Changelog.IsMaterializing);
        await subtask.Changelog.MaterializationUpload;
        var handle = await subtask.CheckpointAsync(3);
        Assert.Contains(handle.KeyGroups, k => k.Segments[0].Kind == SegmentKind.Full);
        model.AssertMatches(await ChangelogHarness.RestoreAsync(_store, handle.KeyGroups), "after the periodic materialization");
    }

    [Fact]
    public async Task Without_ownership_the_first_checkpoint_after_a_restore_names_none_of_the_restored_files()
    {
        var (restoredFrom, model) = await CheckpointedStateAsync();
        var oldFiles = restoredFrom.KeyGroups.SelectMany(k => k.Segments).Select(s => s.Path).ToHashSet();

        using var next = await ChangelogHarness.RestoredAsync(_store, _clock, ChangelogHarness.Options(owned: false), restoredFrom.KeyGroups);
        var handle = await next.CheckpointAsync(10);

        Assert.NotEmpty(handle.KeyGroups);
        Assert.Subset(restoredFrom.KeyGroups.Select(k => k.KeyGroup).ToHashSet(), handle.KeyGroups.Select(k => k.KeyGroup).ToHashSet());
        Assert.All(handle.KeyGroups, k => Assert.Equal(SegmentKind.Full, Assert.Single(k.Segments).Kind));
        Assert.DoesNotContain(handle.KeyGroups.SelectMany(k => k.Segments), s => oldFiles.Contains(s.Path));
        model.AssertMatches(await ChangelogHarness.RestoreAsync(_store, handle.KeyGroups), "first checkpoint after a NO_CLAIM restore");
    }

    [Fact]
    public async Task With_ownership_a_restored_chain_goes_on_with_a_delta_of_what_changed_since()
    {
        var (restoredFrom, model) = await CheckpointedStateAsync();
        var oldFiles = restoredFrom.KeyGroups.SelectMany(k => k.Segments).Select(s => s.Path).ToHashSet();

        using var next = await ChangelogHarness.RestoredAsync(_store, _clock, ChangelogHarness.Options(owned: true), restoredFrom.KeyGroups);
        var random = new Random(11);
        for (var i = 0; i < 5; i++)
        {
            model.ApplyRandom(random, next.States);
        }

        var handle = await next.CheckpointAsync(10);
        var newFiles = handle.KeyGroups.SelectMany(k => k.Segments).Select(s => s.Path).Where(p => !oldFiles.Contains(p)).Distinct().ToArray();
        Assert.Single(newFiles);
        Assert.EndsWith(".delta", newFiles[0]);
        model.AssertMatches(await ChangelogHarness.RestoreAsync(_store, handle.KeyGroups), "after going on from a CLAIM restore");

        // The restored files are the coordinator's: superseded, they are still not deleted by the subtask.
        next.Changelog.Dispose();
        await next.Changelog.Deletes;
        Assert.All(oldFiles, f => Assert.NotNull(_store.GetFileAsync(f).Result));
    }

    [Fact]
    public async Task A_restored_chain_in_exclusive_files_is_materialized_by_the_first_checkpoint()
    {
        // A full checkpoint (chk-n/) restored with incremental checkpoints on: its directory goes when it is subsumed.
        var backend = StateModel.States.Register(new HeapKeyedStateBackend<string>(new KeyGroupRange(0, 128), 128));
        var model = new StateModel();
        var random = new Random(5);
        for (var i = 0; i < 80; i++)
        {
            model.ApplyRandom(random, backend);
        }

        KeyedStateHandle full;
        using (var snapshot = backend.Backend.Snapshot())
        {
            full = await snapshot.WriteAsync(_store, "job/chk-3/op-0", CancellationToken.None);
        }

        using var next = await ChangelogHarness.RestoredAsync(_store, _clock, ChangelogHarness.Options(owned: true), full.KeyGroups);
        var handle = await next.CheckpointAsync(4);

        Assert.All(handle.KeyGroups.SelectMany(k => k.Segments), s => Assert.True(CheckpointLayout.IsSharedFile(s.Path), s.Path));
        model.AssertMatches(await ChangelogHarness.RestoreAsync(_store, handle.KeyGroups), "after materializing a full checkpoint's state");
    }

    [Fact]
    public async Task A_failed_delta_upload_fails_checkpoints_that_need_it_and_the_next_cut_materializes_its_key_groups()
    {
        var store = new FailingStore(_store);
        using var subtask = new ChangelogHarness(store, _clock, ChangelogHarness.Options(maxChain: 8));
        var model = new StateModel();
        var random = new Random(9);
        for (var i = 0; i < 60; i++)
        {
            model.ApplyRandom(random, subtask.States);
        }

        await subtask.CheckpointAsync(1);
        subtask.States.Backend.SetCurrentKey("key-1");
        subtask.States.Value.Update("changed");
        model.SetValue("key-1", "changed");
        store.FailWritesEndingWith = "";
        await Assert.ThrowsAsync<CheckpointStoreException>(() => subtask.CheckpointAsync(2));
        subtask.Changelog.NotifyAborted(2);
        store.FailWritesEndingWith = null;

        var handle = await subtask.CheckpointAsync(3);
        Assert.Contains(handle.KeyGroups, k => k.Segments is [{ Kind: SegmentKind.Full }]);
        model.AssertMatches(await ChangelogHarness.RestoreAsync(_store, handle.KeyGroups), "after repairing the chains");
    }

    [Fact]
    public async Task Files_only_aborted_checkpoints_named_are_deleted_once_no_chain_needs_them_and_completed_ones_never()
    {
        using var subtask = new ChangelogHarness(_store, _clock, ChangelogHarness.Options(maxChain: 1));
        var model = new StateModel();
        var random = new Random(2);
        var named = new Dictionary<long, HashSet<string>>();
        for (long id = 1; id <= 12; id++)
        {
            for (var i = 0; i < 30; i++)
            {
                model.ApplyRandom(random, subtask.States);
            }

            var handle = await subtask.CheckpointAsync(id);
            named[id] = handle.KeyGroups.SelectMany(k => k.Segments).Select(s => s.Path).ToHashSet();
            if (id % 3 == 0)
            {
                subtask.Changelog.NotifyComplete(id);
            }
            else
            {
                subtask.Changelog.NotifyAborted(id);
            }

            await subtask.Changelog.MaterializationUpload;
        }

        await subtask.Changelog.Deletes;
        var stored = (await ChangelogHarness.SharedFilesAsync(_store)).ToHashSet();
        var completed = named.Where(n => n.Key % 3 == 0).SelectMany(n => n.Value).ToHashSet();
        Assert.Subset(stored, completed);
        var expected = completed.Union(subtask.Changelog.LiveFiles).ToHashSet();
        Assert.Equal(expected.Order(), stored.Order());
        Assert.Contains(named.Where(n => n.Key % 3 != 0).SelectMany(n => n.Value), f => !stored.Contains(f));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Disposing_deletes_files_no_acknowledgement_named_and_leaves_acknowledged_ones_to_the_coordinator(bool writtenBeforeTheTaskStops)
    {
        // Written: the task stops after the asynchronous part wrote checkpoint 2 and before the checkpointer
        // handed it to an acknowledgement; no coordinator learns of its delta, so the changelog must delete it.
        var subtask = new ChangelogHarness(_store, _clock, ChangelogHarness.Options(maxChain: 8));
        var model = new StateModel();
        var random = new Random(4);
        for (var i = 0; i < 40; i++)
        {
            model.ApplyRandom(random, subtask.States);
        }

        var acknowledged = (await subtask.CheckpointAsync(1)).KeyGroups.SelectMany(k => k.Segments).Select(s => s.Path).Distinct().Order(StringComparer.Ordinal).ToArray();
        model.ApplyRandom(random, subtask.States);
        var snapshot = subtask.Changelog.Capture(2);
        string[] unacknowledged = [];
        if (writtenBeforeTheTaskStops)
        {
            var written = await snapshot.WriteAsync(_store, "unused", CancellationToken.None);
            unacknowledged = written.KeyGroups.SelectMany(k => k.Segments).Select(s => s.Path).Except(acknowledged).ToArray();
            Assert.NotEmpty(unacknowledged);
        }

        subtask.Dispose();
        snapshot.Dispose();
        await subtask.Changelog.Deletes;

        var stored = await ChangelogHarness.SharedFilesAsync(_store);
        Assert.Empty(stored.Intersect(unacknowledged));
        Assert.Equal(acknowledged, stored);
    }

    private async Task<(KeyedStateHandle Handle, StateModel Model)> CheckpointedStateAsync()
    {
        using var subtask = new ChangelogHarness(_store, _clock, ChangelogHarness.Options(maxChain: 8));
        var model = new StateModel();
        var random = new Random(8);
        KeyedStateHandle handle = null!;
        for (long id = 1; id <= 3; id++)
        {
            for (var i = 0; i < 40; i++)
            {
                model.ApplyRandom(random, subtask.States);
            }

            handle = await subtask.CheckpointAsync(id);
            subtask.Changelog.NotifyComplete(id);
        }

        return (handle, model);
    }

    /// <summary>Fails writes of paths with a chosen ending.</summary>
    private sealed class FailingStore(ICheckpointStore inner) : ICheckpointStore
    {
        public string? FailWritesEndingWith { get; set; }

        public Uri Location => inner.Location;

        public Task<StoredFile> WriteAsync(string path, Func<Stream, CancellationToken, ValueTask> content, WriteMode mode, CancellationToken cancellationToken = default) =>
            FailWritesEndingWith is { } ending && path.EndsWith(ending, StringComparison.Ordinal)
                ? throw new CheckpointStoreException($"injected failure writing {path}")
                : inner.WriteAsync(path, content, mode, cancellationToken);

        public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default) => inner.OpenReadAsync(path, offset, length, cancellationToken);

        public Task<StoredFile?> GetFileAsync(string path, CancellationToken cancellationToken = default) => inner.GetFileAsync(path, cancellationToken);

        public IAsyncEnumerable<StoredFile> ListFilesAsync(string directory, CancellationToken cancellationToken = default) => inner.ListFilesAsync(directory, cancellationToken);

        public Task<IReadOnlyList<string>> ListDirectoriesAsync(string directory, CancellationToken cancellationToken = default) => inner.ListDirectoriesAsync(directory, cancellationToken);

        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);
    }
}
