using Weir.Streaming.Barriers;

namespace Weir.Streaming.Tests.Barriers;

/// <summary>The rules of <see cref="BarrierTracker"/> (at-least-once), one test each.</summary>
public sealed class BarrierTrackerTests
{
    [Fact]
    public void The_tracker_never_blocks_a_channel()
    {
        var tracker = new BarrierTracker(3);

        tracker.OnBarrier(0, 1);
        tracker.OnBarrier(1, 2);

        Assert.False(tracker.AnyBlocked);
        Assert.All(Enumerable.Range(0, 3), c => Assert.False(tracker.IsBlocked(c)));
    }

    [Fact]
    public void A_checkpoint_triggers_when_its_barrier_arrived_on_every_open_channel()
    {
        var tracker = new BarrierTracker(3);

        Assert.True(tracker.OnBarrier(0, 1).IsNone);
        Assert.True(tracker.OnBarrier(2, 1).IsNone);
        Assert.Equal(1, tracker.CurrentCheckpoint);

        Assert.Equal(BarrierDecision.Trigger(1), tracker.OnBarrier(1, 1));
        Assert.Null(tracker.CurrentCheckpoint);
    }

    [Fact]
    public void A_second_barrier_of_one_checkpoint_on_the_same_channel_does_not_count_twice()
    {
        var tracker = new BarrierTracker(2);

        tracker.OnBarrier(0, 1);

        Assert.True(tracker.OnBarrier(0, 1).IsNone);
    }

    [Fact]
    public void With_a_single_channel_a_barrier_triggers_at_once()
    {
        var tracker = new BarrierTracker(1);

        Assert.Equal(BarrierDecision.Trigger(1), tracker.OnBarrier(0, 1));
        Assert.Equal(BarrierDecision.Trigger(2), tracker.OnBarrier(0, 2));
    }

    [Fact]
    public void Triggering_a_checkpoint_aborts_the_older_incomplete_ones_and_ignores_their_late_barriers()
    {
        var tracker = new BarrierTracker(2);
        tracker.OnBarrier(0, 1);
        tracker.OnBarrier(0, 2);

        var decision = tracker.OnBarrier(1, 2);

        Assert.Equal(new BarrierDecision(AbortedCheckpoint: 1, TriggeredCheckpoint: 2), decision);
        Assert.Null(tracker.CurrentCheckpoint);
        Assert.True(tracker.OnBarrier(1, 1).IsNone);
        Assert.Null(tracker.CurrentCheckpoint);
    }

    [Fact]
    public void Barriers_of_a_checkpoint_already_triggered_are_ignored()
    {
        var tracker = new BarrierTracker(2);
        tracker.OnBarrier(0, 3);
        tracker.OnBarrier(1, 3);

        Assert.True(tracker.OnBarrier(0, 3).IsNone);
        Assert.True(tracker.OnBarrier(1, 2).IsNone);
        Assert.Null(tracker.CurrentCheckpoint);
    }

    [Fact]
    public void End_of_input_counts_as_delivered_and_triggers_a_checkpoint_the_other_channels_delivered()
    {
        var tracker = new BarrierTracker(3);
        tracker.OnBarrier(0, 1);
        tracker.OnBarrier(1, 1);

        Assert.Equal(BarrierDecision.Trigger(1), tracker.OnEndOfInput(2));
    }

    [Fact]
    public void End_of_input_completing_several_checkpoints_triggers_the_newest_and_subsumes_the_older_without_an_abort()
    {
        var tracker = new BarrierTracker(2);
        tracker.OnBarrier(0, 3);
        tracker.OnBarrier(0, 4);

        var decision = tracker.OnEndOfInput(1);

        Assert.Equal(BarrierDecision.Trigger(4), decision);
        Assert.Null(tracker.CurrentCheckpoint);
    }

    [Fact]
    public void A_channel_that_ended_is_not_waited_for_and_its_late_barriers_are_ignored()
    {
        var tracker = new BarrierTracker(2);
        tracker.OnEndOfInput(1);

        Assert.True(tracker.OnBarrier(1, 1).IsNone);
        Assert.Null(tracker.CurrentCheckpoint);
        Assert.Equal(BarrierDecision.Trigger(1), tracker.OnBarrier(0, 1));
    }

    [Fact]
    public void A_cancel_marker_aborts_a_pending_checkpoint()
    {
        var tracker = new BarrierTracker(2);
        tracker.OnBarrier(0, 4);

        Assert.Equal(BarrierDecision.Abort(4), tracker.OnCancelMarker(4));
        Assert.Null(tracker.CurrentCheckpoint);
    }

    [Fact]
    public void A_checkpoint_cancelled_upstream_never_triggers_even_when_its_other_channels_deliver_or_end()
    {
        var tracker = new BarrierTracker(2);

        // Channel 1's upstream aborted 1 and sent a cancel marker; channel 0 still carries barrier 1.
        Assert.Equal(BarrierDecision.Abort(1), tracker.OnCancelMarker(1));
        var barrier = tracker.OnBarrier(0, 1);
        var end = tracker.OnEndOfInput(1);

        Assert.Null(barrier.TriggeredCheckpoint);
        Assert.Null(end.TriggeredCheckpoint);
        Assert.True(tracker.OnCancelMarker(1).IsNone);
    }

    [Fact]
    public void An_abort_from_the_coordinator_drops_the_pending_checkpoint()
    {
        var tracker = new BarrierTracker(2);
        tracker.OnBarrier(0, 2);

        Assert.True(tracker.OnAbortFromCoordinator(1).IsNone);
        Assert.Equal(BarrierDecision.Abort(2), tracker.OnAbortFromCoordinator(2));
        Assert.Null(tracker.CurrentCheckpoint);
        Assert.Null(tracker.OnBarrier(1, 2).TriggeredCheckpoint);
    }

    [Fact]
    public void A_tracker_needs_at_least_one_channel()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BarrierTracker(0));
    }
}
