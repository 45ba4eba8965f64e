using Weir.Checkpointing.Metadata;
using Weir.Storage.InMemory;
using Weir.Streaming.Functions;
using Weir.Streaming.State;
using Weir.Streaming.Windowing;

namespace Weir.Streaming.Tests.State;

/// <summary>
/// State values of types that can change (a class with settable fields, as Flink users write
/// accumulators): a snapshot writes what the state held at capture time even when the task's
/// functions change those objects in place afterwards; immutable types are shared, never copied.
/// </summary>
public sealed class MutableStateValueTests
{
    private static readonly KeyGroupRange All = new(0, 128);

    private readonly InMemoryCheckpointStore _store = new(new ManualTimeProvider());

    [Fact]
    public async Task An_aggregate_function_that_changes_its_accumulator_in_place_does_not_change_a_snapshot_taken_before()
    {
        var backend = new HeapKeyedStateBackend<string>(All, 128);
        var descriptor = new AggregatingStateDescriptor<long, Totals, long>("sum", new InPlaceSum());
        var state = backend.GetAggregatingState(descriptor);
        foreach (var key in new[] { "a", "b", "c" })
        {
            backend.SetCurrentKey(key);
            state.Add(10);
            state.Add(5);
        }

        using var snapshot = backend.Snapshot();
        backend.SetCurrentKey("a");
        state.Add(1_000);
        backend.SetCurrentKey("b");
        state.Add(2_000);

        var restored = await RestoreAsync(snapshot);
        var restoredState = restored.GetAggregatingState(descriptor);
        foreach (var key in new[] { "a", "b", "c" })
        {
            restored.SetCurrentKey(key);
            Assert.Equal(15, restoredState.Get());
        }

        backend.SetCurrentKey("a");
        Assert.Equal(1_015, state.Get());
        backend.SetCurrentKey("b");
        Assert.Equal(2_015, state.Get());
    }

    [Fact]
    public async Task A_value_object_changed_after_it_was_read_and_then_updated_does_not_change_a_snapshot_taken_before()
    {
        var backend = new HeapKeyedStateBackend<string>(All, 128);
        var descriptor = new ValueStateDescriptor<Totals>("totals", new Totals());
        var state = backend.GetValueState(descriptor);
        backend.SetCurrentKey("a");
        state.Update(new Totals { Sum = 7, Count = 1 });

        using var snapshot = backend.Snapshot();
        var totals = state.Value!;
        totals.Sum += 100;
        totals.Count++;
        state.Update(totals);

        // The default value is handed out as a copy: changing it does not change the next key's default.
        backend.SetCurrentKey("b");
        state.Value!.Sum = 99;
        backend.SetCurrentKey("c");
        Assert.Equal(0, state.Value!.Sum);

        var restored = await RestoreAsync(snapshot);
        restored.SetCurrentKey("a");
        var restoredValue = restored.GetValueState(descriptor).Value!;
        Assert.Equal((7, 1), (restoredValue.Sum, restoredValue.Count));
        backend.SetCurrentKey("a");
        Assert.Equal((107, 2), (state.Value!.Sum, state.Value!.Count));
    }

    [Fact]
    public async Task A_reduce_function_that_changes_its_first_argument_does_not_change_a_snapshot_taken_before()
    {
        var backend = new HeapKeyedStateBackend<string>(All, 128);
        var descriptor = new ReducingStateDescriptor<Totals>("reduced", (current, added) =>
        {
            current.Sum += added.Sum;
            current.Count += added.Count;
            return current;
        });
        var state = backend.GetReducingState(descriptor);
        backend.SetCurrentKey("a");
        state.Add(new Totals { Sum = 1, Count = 1 });
        state.Add(new Totals { Sum = 2, Count = 1 });

        using var snapshot = backend.Snapshot();
        state.Add(new Totals { Sum = 40, Count = 1 });

        var restored = await RestoreAsync(snapshot);
        restored.SetCurrentKey("a");
        Assert.Equal(3, restored.GetReducingState(descriptor).Get()!.Sum);
        Assert.Equal(43, state.Get()!.Sum);
    }

    [Fact]
    public async Task A_reduced_value_changed_after_Get_does_not_change_a_snapshot_taken_before()
    {
        var backend = new HeapKeyedStateBackend<string>(All, 128);
        var descriptor = new ReducingStateDescriptor<Totals>("reduced", (current, added) => new Totals { Sum = current.Sum + added.Sum, Count = current.Count + added.Count });
        var state = backend.GetReducingState(descriptor);
        backend.SetCurrentKey("a");
        state.Add(new Totals { Sum = 1, Count = 1 });

        using var snapshot = backend.Snapshot();
        state.Get()!.Sum = 99;

        var restored = await RestoreAsync(snapshot);
        restored.SetCurrentKey("a");
        Assert.Equal(1, restored.GetReducingState(descriptor).Get()!.Sum);
    }

    [Fact]
    public async Task List_elements_and_map_values_changed_in_place_after_a_read_do_not_change_a_snapshot_taken_before()
    {
        var backend = new HeapKeyedStateBackend<string>(All, 128);
        var lists = backend.GetListState(new ListStateDescriptor<Totals>("lists"));
        var maps = backend.GetMapState(new MapStateDescriptor<string, Totals>("maps"));
        backend.SetCurrentKey("a");
        lists.Add(new Totals { Sum = 1 });
        maps.Put("x", new Totals { Sum = 2 });

        using var snapshot = backend.Snapshot();
        lists.Get()[0].Sum = 100;
        Assert.True(maps.TryGetValue("x", out var entry));
        entry.Sum = 200;
        maps.Put("x", entry);

        var restored = await RestoreAsync(snapshot);
        restored.SetCurrentKey("a");
        Assert.Equal(1, Assert.Single(restored.GetListState(new ListStateDescriptor<Totals>("lists")).Get()).Sum);
        Assert.True(restored.GetMapState(new MapStateDescriptor<string, Totals>("maps")).TryGetValue("x", out var restoredEntry));
        Assert.Equal(2, restoredEntry.Sum);
        Assert.Equal(100, lists.Get()[0].Sum);
        Assert.True(maps.TryGetValue("x", out var live));
        Assert.Equal(200, live.Sum);
    }

    [Fact]
    public void Values_of_immutable_types_are_shared_and_others_are_copied()
    {
        Assert.True(ImmutableTypes.Is(typeof(long)));
        Assert.True(ImmutableTypes.Is(typeof(string)));
        Assert.True(ImmutableTypes.Is(typeof(DayOfWeek)));
        Assert.True(ImmutableTypes.Is(typeof((long Sum, string? Name, DateTimeOffset At))));
        Assert.True(ImmutableTypes.Is(typeof(int?)));
        Assert.True(ImmutableTypes.Is(typeof(Point)));
        Assert.True(ImmutableTypes.Is(typeof(Node)));

        Assert.False(ImmutableTypes.Is(typeof(Totals)));
        Assert.False(ImmutableTypes.Is(typeof(long[])));
        Assert.False(ImmutableTypes.Is(typeof(List<int>)));
        Assert.False(ImmutableTypes.Is(typeof((long, List<int>))));
        Assert.False(ImmutableTypes.Is(typeof(OpenRecord)));
        Assert.False(ImmutableTypes.Is(typeof(IComparable)));
        Assert.False(ImmutableTypes.Is(typeof(object)));

        Assert.Null(StateValues<(long, string)>.Copier);
        var original = new Totals { Sum = 3, Count = 2 };
        var copy = StateValues<Totals>.Copier!(original);
        Assert.NotSame(original, copy);
        Assert.Equal((3, 2), (copy.Sum, copy.Count));
    }

    [Fact]
    public void Window_accumulators_that_can_change_are_copied_with_their_window_map_and_immutable_ones_are_shared()
    {
        var mutable = new AggregateContents<string, long, Totals, long, long>(new InPlaceSum(), window: null);
        var windows = new WindowMap<Totals>();
        windows[new TimeWindow(0, 10)] = mutable.Add(default, exists: false, 5);

        var copy = windows.Copy(mutable.CopyAccumulator);
        mutable.Add(windows.AccumulatorAt(0), exists: true, 100);

        Assert.Equal(105, windows.AccumulatorAt(0).Sum);
        Assert.Equal(5, copy.AccumulatorAt(0).Sum);
        Assert.Null(new AggregateContents<string, long, (long, long), long, long>(
            new AggregateFunction<long, (long, long), long>(() => (0, 0), (v, a) => (a.Item1 + v, a.Item2 + 1), a => a.Item1), window: null).CopyAccumulator);
    }

    [Fact]
    public void A_value_changed_in_place_is_copied_once_per_capture_and_only_while_a_capture_is_not_released()
    {
        var table = new StateTable<string, Totals>("totals", keyGroupCount: 1, StateValues<Totals>.Copier);
        table.Put(0, "a", new Totals { Sum = 1 });
        Assert.True(table.TryGetForUpdate(0, "a", out var original));

        var capture = table.Capture(0)!;
        Assert.True(table.TryGetForUpdate(0, "a", out var copied));
        Assert.NotSame(original, copied);
        Assert.True(table.TryGetForUpdate(0, "a", out var again));
        Assert.Same(copied, again);

        // Released, the capture reads nothing more: values change in place again.
        table.Release(capture);
        Assert.True(table.TryGetForUpdate(0, "a", out var released));
        Assert.Same(copied, released);
        table.Release(table.Capture(0)!);
        Assert.True(table.TryGetForUpdate(0, "a", out var afterAnother));
        Assert.Same(copied, afterAnother);

        // Of two captures one released, the other still reads; a second release of one capture counts once.
        var older = table.Capture(0)!;
        var newer = table.Capture(0)!;
        table.Release(newer);
        table.Release(newer);
        Assert.True(table.TryGetForUpdate(0, "a", out var whileOlder));
        Assert.NotSame(copied, whileOlder);
        table.Release(older);
        var last = table.Capture(0)!;
        Assert.True(table.TryGetForUpdate(0, "a", out var whileLast));
        Assert.NotSame(whileOlder, whileLast);
        table.Release(last);
    }

    [Fact]
    public async Task A_snapshot_frees_its_values_for_changes_in_place_once_written_before_it_is_disposed()
    {
        var table = new StateTable<string, Totals>("totals", keyGroupCount: 128, StateValues<Totals>.Copier);
        var keys = Enumerable.Range(0, 1_000).Select(i => $"k{i}").ToArray();
        foreach (var key in keys)
        {
            table.Put(KeyGroupAssigner.KeyGroupFor(key, 128), key, new Totals { Sum = 1 });
        }

        var captured = keys.ToDictionary(k => k, k => Update(k, 0));
        using var snapshot = KeyedStateSnapshot.Capture(All, [table]);
        var handle = await snapshot.WriteAsync(_store, "job/chk-1/op", CancellationToken.None);

        // Written: changed in place, without a copy, before the snapshot is disposed.
        foreach (var key in keys)
        {
            Assert.Same(captured[key], Update(key, 100));
        }

        var restored = new HeapKeyedStateBackend<string>(All, 128);
        await KeyedStateRestore.RestoreAsync(_store, restored, handle.KeyGroups, CancellationToken.None);
        var restoredTable = restored.Table<Totals>("totals", StateValues<Totals>.Copier);
        Assert.All(keys, key => Assert.True(restoredTable.TryGet(KeyGroupAssigner.KeyGroupFor(key, 128), key, out var value) && value.Sum == 1));

        Totals Update(string key, long add)
        {
            Assert.True(table.TryGetForUpdate(KeyGroupAssigner.KeyGroupFor(key, 128), key, out var value));
            value.Sum += add;
            return value;
        }
    }

    private async Task<HeapKeyedStateBackend<string>> RestoreAsync(KeyedStateSnapshot snapshot)
    {
        var handle = await snapshot.WriteAsync(_store, "job/chk-1/op", CancellationToken.None);
        var restored = new HeapKeyedStateBackend<string>(All, 128);
        await KeyedStateRestore.RestoreAsync(_store, restored, handle.KeyGroups, CancellationToken.None);
        return restored;
    }

    /// <summary>A mutable accumulator, as Flink's examples write them.</summary>
    public sealed class Totals
    {
        public long Sum;
        public long Count;
    }

    /// <summary>An immutable record: its properties are init-only.</summary>
    public sealed record Point(long X, long Y);

    /// <summary>Immutable, and refers to its own type.</summary>
    public sealed record Node(string Name, Node? Next);

    /// <summary>Not sealed: a subclass could add fields that change.</summary>
    public record OpenRecord(long X);

    private sealed class InPlaceSum : IAggregateFunction<long, Totals, long>
    {
        public Totals CreateAccumulator() => new();

        public Totals Add(long value, Totals accumulator)
        {
            accumulator.Sum += value;
            accumulator.Count++;
            return accumulator;
        }

        public long GetResult(Totals accumulator) => accumulator.Sum;

        public Totals Merge(Totals a, Totals b) => new() { Sum = a.Sum + b.Sum, Count = a.Count + b.Count };
    }
}
