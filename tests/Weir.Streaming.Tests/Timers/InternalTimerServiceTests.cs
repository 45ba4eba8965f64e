using Weir.Checkpointing.Metadata;
using Weir.Streaming.State;
using Weir.Streaming.Tasks;
using Weir.Streaming.Timers;

namespace Weir.Streaming.Tests.Timers;

/// <summary>
/// Event-time timers of one keyed subtask: fired in timestamp order with their key current, once
/// (keys at one timestamp in key-group order);
/// what a callback registers or deletes (its own timer included) behaves as if the firing timer had
/// left state before the callback, while the state changes once per key when a callback registers
/// the key's next timer.
/// </summary>
public sealed class InternalTimerServiceTests
{
    private readonly HeapKeyedStateBackend<string> _backend = new(new KeyGroupRange(0, 128), 128);
    private readonly List<(string Key, long Timestamp)> _fired = [];
    private Action<string, long>? _callback;

    private InternalTimerService<string> NewService() =>
        new(_backend, new NoScheduling(), (timestamp, domain) =>
        {
            Assert.Equal(TimeDomain.EventTime, domain);
            _fired.Add((_backend.CurrentKey, timestamp));
            _callback?.Invoke(_backend.CurrentKey, timestamp);
        });

    private void Register(InternalTimerService<string> timers, string key, long timestamp)
    {
        _backend.SetCurrentKey(key);
        timers.RegisterEventTimeTimer(timestamp);
    }

    [Fact]
    public void Timers_fire_once_in_timestamp_order_with_their_key_current_and_leave_state()
    {
        var timers = NewService();
        Register(timers, "b", 20);
        Register(timers, "a", 10);
        Register(timers, "a", 30);
        Register(timers, "a", 10);
        Register(timers, "c", 25);
        _backend.SetCurrentKey("a");
        timers.DeleteEventTimeTimer(30);

        timers.AdvanceWatermark(25);
        timers.AdvanceWatermark(100);

        Assert.Equal([("a", 10L), ("b", 20L), ("c", 25L)], _fired);
        Assert.Equal(0, timers.Count);
    }

    [Fact]
    public void A_callback_that_registers_the_keys_next_timer_leaves_only_that_one_and_it_fires_in_turn()
    {
        var timers = NewService();
        _callback = (_, timestamp) =>
        {
            if (timestamp < 40)
            {
                timers.RegisterEventTimeTimer(timestamp + 10);
            }
        };
        Register(timers, "a", 10);

        timers.AdvanceWatermark(25);
        Assert.Equal([("a", 10L), ("a", 20L)], _fired);
        Assert.Equal(1, timers.Count);

        timers.AdvanceWatermark(100);
        Assert.Equal([10L, 20L, 30L, 40L], _fired.Select(f => f.Timestamp));
        Assert.Equal(0, timers.Count);
    }

    [Fact]
    public void A_key_with_several_timers_keeps_the_others_when_a_callback_registers_its_next_one_before_or_after_them()
    {
        // Key "a" holds 10, 20 and 30; firing 10 registers 25 (between the others), firing 20 registers 5
        // (before every other, so at once due), firing 5 registers nothing: every timer fires once, in order.
        var timers = NewService();
        _callback = (_, timestamp) =>
        {
            if (timestamp == 10)
            {
                timers.RegisterEventTimeTimer(25);
            }
            else if (timestamp == 20)
            {
                timers.RegisterEventTimeTimer(5);
            }
        };
        Register(timers, "a", 30);
        Register(timers, "a", 10);
        Register(timers, "a", 20);

        timers.AdvanceWatermark(22);
        Assert.Equal([10L, 20L, 5L], _fired.Select(f => f.Timestamp));
        Assert.Equal(2, timers.Count);

        timers.AdvanceWatermark(100);
        Assert.Equal([10L, 20L, 5L, 25L, 30L], _fired.Select(f => f.Timestamp));
        Assert.Equal(0, timers.Count);
    }

    [Fact]
    public void A_timer_registered_again_in_its_own_callback_fires_again_and_then_leaves()
    {
        var timers = NewService();
        var again = 2;
        _callback = (_, timestamp) =>
        {
            if (again-- > 0)
            {
                timers.RegisterEventTimeTimer(timestamp);
            }
        };
        Register(timers, "a", 10);

        timers.AdvanceWatermark(10);

        Assert.Equal([("a", 10L), ("a", 10L), ("a", 10L)], _fired);
        Assert.Equal(0, timers.Count);
    }

    [Fact]
    public void A_timer_deleted_in_its_own_callback_is_gone_and_one_deleted_then_registered_again_fires_again()
    {
        var timers = NewService();
        _callback = (key, timestamp) =>
        {
            timers.DeleteEventTimeTimer(timestamp);
            if (key == "b" && _fired.Count(f => f.Key == "b") == 1)
            {
                timers.RegisterEventTimeTimer(timestamp);
            }
        };
        Register(timers, "a", 10);
        Register(timers, "b", 10);

        timers.AdvanceWatermark(10);

        // At one timestamp keys fire in key-group order, so only each key's own sequence is fixed.
        Assert.Equal([10L], _fired.Where(f => f.Key == "a").Select(f => f.Timestamp));
        Assert.Equal([10L, 10L], _fired.Where(f => f.Key == "b").Select(f => f.Timestamp));
        Assert.Equal(3, _fired.Count);
        Assert.Equal(0, timers.Count);
    }

    [Fact]
    public void Timers_of_many_keys_at_one_timestamp_fire_once_each_in_key_group_order()
    {
        var timers = NewService();
        var keys = Enumerable.Range(0, 3_000).Select(i => $"key-{i}").ToArray();
        foreach (var key in keys)
        {
            Register(timers, key, 100);
        }

        Register(timers, "early", 50);
        Register(timers, "late", 150);

        timers.AdvanceWatermark(200);

        Assert.Equal(("early", 50L), _fired[0]);
        Assert.Equal(("late", 150L), _fired[^1]);
        var atOneTimestamp = _fired[1..^1];
        Assert.Equal(keys.Order(), atOneTimestamp.Select(f => f.Key).Order());
        Assert.All(atOneTimestamp, f => Assert.Equal(100L, f.Timestamp));
        var groups = atOneTimestamp.Select(f => KeyGroupAssigner.KeyGroupFor(f.Key, 128)).ToArray();
        Assert.Equal(groups.Order(), groups);
        Assert.Equal(0, timers.Count);
    }

    [Fact]
    public void More_keys_at_one_timestamp_than_one_batch_all_fire_once_in_timestamp_order()
    {
        var timers = NewService();
        for (var i = 0; i < 10_000; i++)
        {
            Register(timers, $"key-{i}", 100 + (i % 3 * 1_000));
        }

        timers.AdvanceWatermark(5_000);

        Assert.Equal(10_000, _fired.Select(f => f.Key).Distinct().Count());
        Assert.Equal(_fired.Select(f => f.Timestamp).Order(), _fired.Select(f => f.Timestamp));
        Assert.Equal(0, timers.Count);
    }

    [Fact]
    public void A_timer_a_callback_registers_before_the_timestamp_firing_fires_next_before_the_other_keys_at_that_timestamp()
    {
        // Flink's order: timers fire in timestamp order, also those registered while firing.
        var timers = NewService();
        string? first = null;
        _callback = (key, timestamp) =>
        {
            if (first is null)
            {
                first = key;
                timers.RegisterEventTimeTimer(timestamp - 50);
            }
        };
        for (var i = 0; i < 100; i++)
        {
            Register(timers, $"key-{i}", 100);
        }

        timers.AdvanceWatermark(100);

        Assert.Equal(101, _fired.Count);
        Assert.Equal((first!, 100L), _fired[0]);
        Assert.Equal((first!, 50L), _fired[1]);
        Assert.All(_fired.Skip(2), f => Assert.Equal(100L, f.Timestamp));
        Assert.Equal(0, timers.Count);
    }

    [Fact]
    public void With_change_tracking_a_callback_registering_the_next_timer_records_one_change_for_the_key()
    {
        _backend.TrackChanges();
        var timers = NewService();
        _callback = (_, timestamp) => timers.RegisterEventTimeTimer(timestamp + 10);
        Register(timers, "a", 10);
        var keyGroup = _backend.CurrentKeyGroupIndex;
        var table = Assert.Single(_backend.Tables, t => t.Name == "_timers-event");
        table.DiscardChanges(keyGroup);

        timers.AdvanceWatermark(10);

        Assert.Equal([("a", 10L)], _fired);
        Assert.Equal(1, table.ChangeCount(keyGroup));
    }
}
