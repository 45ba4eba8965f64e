using Weir.Checkpointing.Metadata;
using Weir.Streaming.Functions;
using Weir.Streaming.State;

namespace Weir.Streaming.Tests.State;

public sealed class HeapKeyedStateBackendTests
{
    private readonly HeapKeyedStateBackend<string> _backend = new(new KeyGroupRange(0, 128), 128);

    [Fact]
    public void Value_state_returns_the_default_until_updated_and_again_after_clear()
    {
        var state = _backend.GetValueState(new ValueStateDescriptor<int>("count", defaultValue: -1));
        _backend.SetCurrentKey("a");

        Assert.Equal(-1, state.Value);
        state.Update(5);
        Assert.Equal(5, state.Value);
        state.Clear();
        Assert.Equal(-1, state.Value);
    }

    [Fact]
    public void Each_key_sees_only_its_own_value()
    {
        var state = _backend.GetValueState(new ValueStateDescriptor<string>("name"));

        _backend.SetCurrentKey("a");
        state.Update("alpha");
        _backend.SetCurrentKey("b");
        Assert.Null(state.Value);
        state.Update("beta");
        _backend.SetCurrentKey("a");

        Assert.Equal("alpha", state.Value);
    }

    [Fact]
    public void List_state_appends_replaces_and_clears()
    {
        var state = _backend.GetListState(new ListStateDescriptor<int>("items"));
        _backend.SetCurrentKey("a");

        Assert.Empty(state.Get());
        state.Add(1);
        state.AddAll([2, 3]);
        Assert.Equal([1, 2, 3], state.Get());
        state.Update([9]);
        Assert.Equal([9], state.Get());
        state.Update([]);
        Assert.Empty(state.Get());
        state.Add(4);
        state.Clear();
        Assert.Empty(state.Get());
    }

    [Fact]
    public void A_keys_list_is_a_live_view_and_a_foreach_over_it_allocates_nothing()
    {
        var state = _backend.GetListState(new ListStateDescriptor<long>("times"));
        _backend.SetCurrentKey("a");
        var none = state.Get();
        state.Add(1);
        var view = state.Get();
        state.Add(2);

        Assert.Empty(none);
        Assert.Equal([1L, 2L], view);
        Assert.Equal(2, view[1]);

        long sum = 0;
        foreach (var time in state.Get())
        {
            sum += time;
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            foreach (var time in state.Get())
            {
                sum += time;
            }

            foreach (var time in none)
            {
                sum += time;
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(3 * 1_001, sum);
    }

    [Fact]
    public void Map_state_puts_removes_and_reports_empty_once_the_last_entry_is_gone()
    {
        var state = _backend.GetMapState(new MapStateDescriptor<string, int>("counts"));
        _backend.SetCurrentKey("a");

        Assert.True(state.IsEmpty);
        state.Put("x", 1);
        state.Put("y", 2);
        state.Put("x", 3);
        Assert.True(state.TryGetValue("x", out var x));
        Assert.Equal(3, x);
        Assert.True(state.Contains("y"));
        Assert.False(state.TryGetValue("z", out _));
        Assert.Equal([("x", 3), ("y", 2)], state.Entries().Select(e => (e.Key, e.Value)).Order());

        state.Remove("x");
        state.Remove("missing");
        Assert.False(state.IsEmpty);
        state.Remove("y");
        Assert.True(state.IsEmpty);
        state.Put("z", 1);
        state.Clear();
        Assert.True(state.IsEmpty);
        Assert.Empty(state.Entries());
    }

    [Fact]
    public void Reducing_state_starts_from_the_first_value_added_not_from_the_types_default()
    {
        var state = _backend.GetReducingState(new ReducingStateDescriptor<int>("product", (a, b) => a * b));
        _backend.SetCurrentKey("a");

        Assert.Equal(0, state.Get());
        state.Add(3);
        state.Add(4);
        Assert.Equal(12, state.Get());
        state.Clear();
        state.Add(5);
        Assert.Equal(5, state.Get());
    }

    [Fact]
    public void Aggregating_state_folds_values_into_an_accumulator_and_reads_the_result()
    {
        var average = new AggregateFunction<int, (long Sum, int Count), double>(() => (0, 0), (v, acc) => (acc.Sum + v, acc.Count + 1), acc => (double)acc.Sum / acc.Count);
        var state = _backend.GetAggregatingState(new AggregatingStateDescriptor<int, (long, int), double>("avg", average));
        _backend.SetCurrentKey("a");

        Assert.Equal(0, state.Get());
        state.Add(1);
        state.Add(2);
        state.Add(6);
        Assert.Equal(3.0, state.Get());
        state.Clear();
        Assert.Equal(0, state.Get());
    }

    [Fact]
    public void A_key_outside_the_subtasks_key_groups_is_refused_with_a_hint_to_key_by()
    {
        var backend = new HeapKeyedStateBackend<int>(new KeyGroupRange(0, 1), 128);
        var outside = Enumerable.Range(0, 1000).First(k => KeyGroupAssigner.KeyGroupFor(k, 128) != 0);

        var error = Assert.Throws<InvalidOperationException>(() => backend.SetCurrentKey(outside));

        Assert.Contains($"Key '{outside}' belongs to key group {KeyGroupAssigner.KeyGroupFor(outside, 128)}, outside this subtask's range [0, 1)", error.Message);
        Assert.Contains("use KeyBy", error.Message);
    }

    [Fact]
    public void A_state_name_keeps_one_type()
    {
        _backend.GetValueState(new ValueStateDescriptor<int>("s"));

        var error = Assert.Throws<InvalidOperationException>(() => _backend.GetValueState(new ValueStateDescriptor<string>("s")));

        Assert.Contains("State 's' was registered before with another type", error.Message);
    }

    [Fact]
    public void A_state_registered_twice_with_one_type_shares_its_entries()
    {
        var first = _backend.GetValueState(new ValueStateDescriptor<int>("s"));
        var second = _backend.GetValueState(new ValueStateDescriptor<int>("s"));
        _backend.SetCurrentKey("a");

        first.Update(7);

        Assert.Equal(7, second.Value);
    }

    [Fact]
    public void A_state_name_must_not_be_empty()
    {
        Assert.Throws<ArgumentException>(() => new ValueStateDescriptor<int>(" "));
    }
}
