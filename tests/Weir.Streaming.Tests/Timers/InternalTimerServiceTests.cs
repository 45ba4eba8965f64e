using Weir.Checkpointing.Metadata;
using Weir.Streaming.State;
using Weir.Streaming.Tasks;
using Weir.Streaming.Timers;

namespace Weir.Streaming.Tests.Timers;

/// <summary>
/// Event-time timers of one keyed subtask: fired in timestamp order with their key current, once;
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

        Assert.Equal([("a", 10L), ("b", 10L), ("b", 10L)], _fired);
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

    /// <summary>Event time only: nothing is scheduled.</summary>
    private sealed class NoScheduling : ITaskServices
    {
        public TimeProvider Clock => TimeProvider.System;

        public IDisposable Schedule(TimeSpan delay, Action action) => throw new InvalidOperationException("No processing-time timer was registered.");
    }
}
