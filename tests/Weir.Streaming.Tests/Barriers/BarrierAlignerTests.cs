using Weir.Streaming.Barriers;

namespace Weir.Streaming.Tests.Barriers;

/// <summary>The rules of <see cref="BarrierAligner"/>'s class comment, one test each.</summary>
public sealed class BarrierAlignerTests
{
    [Fact]
    public void A_barrier_blocks_its_channel_while_other_open_channels_have_not_delivered_it()
    {
        var aligner = new BarrierAligner(3);

        var decision = aligner.OnBarrier(1, 7);

        Assert.True(decision.IsNone);
        Assert.True(aligner.IsBlocked(1));
        Assert.False(aligner.IsBlocked(0));
        Assert.False(aligner.IsBlocked(2));
        Assert.True(aligner.AnyBlocked);
        Assert.Equal(7, aligner.CurrentCheckpoint);
    }

    [Fact]
    public void The_checkpoint_triggers_when_the_last_open_channel_delivers_its_barrier_and_every_channel_unblocks()
    {
        var aligner = new BarrierAligner(3);
        aligner.OnBarrier(0, 1);
        Assert.True(aligner.OnBarrier(2, 1).IsNone);

        var decision = aligner.OnBarrier(1, 1);

        Assert.Equal(BarrierDecision.Trigger(1), decision);
        Assert.False(aligner.AnyBlocked);
        Assert.All(Enumerable.Range(0, 3), c => Assert.False(aligner.IsBlocked(c)));
        Assert.Null(aligner.CurrentCheckpoint);
    }

    [Fact]
    public void With_a_single_channel_a_barrier_triggers_at_once_and_never_blocks()
    {
        var aligner = new BarrierAligner(1);

        Assert.Equal(BarrierDecision.Trigger(1), aligner.OnBarrier(0, 1));
        Assert.False(aligner.IsBlocked(0));
        Assert.Equal(BarrierDecision.Trigger(2), aligner.OnBarrier(0, 2));
        Assert.False(aligner.AnyBlocked);
    }

    [Fact]
    public void A_newer_barrier_aborts_the_alignment_in_progress_and_starts_aligning_the_newer_checkpoint()
    {
        var aligner = new BarrierAligner(3);
        aligner.OnBarrier(0, 1);
        aligner.OnBarrier(1, 1);

        var decision = aligner.OnBarrier(2, 2);

        Assert.Equal(BarrierDecision.Abort(1), decision);
        Assert.Equal(2, aligner.CurrentCheckpoint);
        Assert.False(aligner.IsBlocked(0));
        Assert.False(aligner.IsBlocked(1));
        Assert.True(aligner.IsBlocked(2));
    }

    [Fact]
    public void A_newer_barrier_on_the_only_open_channel_aborts_the_older_checkpoint_and_triggers_its_own_in_one_decision()
    {
        var aligner = new BarrierAligner(2);
        aligner.OnBarrier(0, 1);
        aligner.OnEndOfInput(0); // The blocked channel ends: checkpoint 1 still waits for channel 1.
        Assert.Equal(1, aligner.CurrentCheckpoint);

        var decision = aligner.OnBarrier(1, 2);

        Assert.Equal(new BarrierDecision(AbortedCheckpoint: 1, TriggeredCheckpoint: 2), decision);
        Assert.False(aligner.AnyBlocked);
        Assert.Null(aligner.CurrentCheckpoint);
    }

    [Fact]
    public void A_cancel_marker_aborts_the_alignment_in_progress_and_unblocks_every_channel()
    {
        var aligner = new BarrierAligner(3);
        aligner.OnBarrier(0, 4);
        aligner.OnBarrier(1, 4);

        var decision = aligner.OnCancelMarker(4);

        Assert.Equal(BarrierDecision.Abort(4), decision);
        Assert.False(aligner.AnyBlocked);
        Assert.Null(aligner.CurrentCheckpoint);
    }

    [Fact]
    public void After_a_cancel_marker_the_cancelled_checkpoints_remaining_barriers_are_ignored_and_never_block()
    {
        var aligner = new BarrierAligner(2);

        Assert.Equal(BarrierDecision.Abort(5), aligner.OnCancelMarker(5));
        Assert.True(aligner.OnBarrier(0, 5).IsNone);
        Assert.False(aligner.IsBlocked(0));
        Assert.True(aligner.OnCancelMarker(5).IsNone);
        Assert.Null(aligner.CurrentCheckpoint);
    }

    [Fact]
    public void Barriers_of_a_checkpoint_already_triggered_are_ignored_and_never_block()
    {
        var aligner = new BarrierAligner(2);
        aligner.OnBarrier(0, 3);
        aligner.OnBarrier(1, 3);

        Assert.True(aligner.OnBarrier(0, 3).IsNone);
        Assert.True(aligner.OnBarrier(1, 2).IsNone);
        Assert.False(aligner.AnyBlocked);
        Assert.Null(aligner.CurrentCheckpoint);
    }

    [Fact]
    public void Barriers_of_an_aborted_checkpoint_are_ignored_and_never_block()
    {
        var aligner = new BarrierAligner(3);
        aligner.OnBarrier(0, 1);
        aligner.OnBarrier(1, 2); // aborts 1

        var late = aligner.OnBarrier(2, 1);

        Assert.True(late.IsNone);
        Assert.False(aligner.IsBlocked(2));
        Assert.Equal(2, aligner.CurrentCheckpoint);
    }

    [Fact]
    public void A_barrier_older_than_the_one_being_aligned_is_ignored_and_does_not_block_its_channel()
    {
        var aligner = new BarrierAligner(3);
        aligner.OnBarrier(0, 5);

        var older = aligner.OnBarrier(1, 4);

        Assert.True(older.IsNone);
        Assert.False(aligner.IsBlocked(1));
        Assert.Equal(5, aligner.CurrentCheckpoint);
    }

    [Fact]
    public void End_of_input_on_the_last_channel_not_yet_delivered_counts_as_its_barrier_and_triggers()
    {
        var aligner = new BarrierAligner(3);
        aligner.OnBarrier(0, 1);
        aligner.OnBarrier(1, 1);

        var decision = aligner.OnEndOfInput(2);

        Assert.Equal(BarrierDecision.Trigger(1), decision);
        Assert.False(aligner.AnyBlocked);
    }

    [Fact]
    public void A_channel_that_ended_before_a_barrier_is_not_waited_for()
    {
        var aligner = new BarrierAligner(3);
        Assert.True(aligner.OnEndOfInput(2).IsNone);

        aligner.OnBarrier(0, 1);
        var decision = aligner.OnBarrier(1, 1);

        Assert.Equal(BarrierDecision.Trigger(1), decision);
    }

    [Fact]
    public void A_barrier_on_a_finished_channel_is_ignored()
    {
        var aligner = new BarrierAligner(2);
        aligner.OnEndOfInput(0);

        Assert.True(aligner.OnBarrier(0, 1).IsNone);
        Assert.False(aligner.IsBlocked(0));
        Assert.Null(aligner.CurrentCheckpoint);
    }

    [Fact]
    public void End_of_input_twice_on_one_channel_counts_once()
    {
        var aligner = new BarrierAligner(3);
        aligner.OnEndOfInput(2);
        aligner.OnEndOfInput(2);
        aligner.OnBarrier(0, 1);

        Assert.Equal(1, aligner.CurrentCheckpoint);
        Assert.Equal(BarrierDecision.Trigger(1), aligner.OnBarrier(1, 1));
    }

    [Fact]
    public void An_abort_from_the_coordinator_stops_the_alignment_of_that_checkpoint_only()
    {
        var aligner = new BarrierAligner(2);
        aligner.OnBarrier(0, 3);

        Assert.True(aligner.OnAbortFromCoordinator(2).IsNone);
        Assert.True(aligner.IsBlocked(0));

        Assert.Equal(BarrierDecision.Abort(3), aligner.OnAbortFromCoordinator(3));
        Assert.False(aligner.AnyBlocked);
        Assert.True(aligner.OnBarrier(1, 3).IsNone);
    }

    [Fact]
    public void An_aligner_needs_at_least_one_channel()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BarrierAligner(0));
    }

    [Fact]
    public void Switching_the_checkpoint_being_aligned_to_unaligned_unblocks_and_names_the_channels_that_delivered_it()
    {
        var aligner = new BarrierAligner(4);
        aligner.OnBarrier(0, 5);
        aligner.OnBarrier(2, 5);

        var delivered = aligner.SwitchToUnaligned(5, out var decision);

        Assert.True(decision.IsNone);
        Assert.Equal([0, 2], Assert.IsType<int[]>(delivered));
        Assert.False(aligner.AnyBlocked);
        Assert.Null(aligner.CurrentCheckpoint);

        // Its barriers, and older ones, still to come in line are ignored and block nothing.
        Assert.True(aligner.OnBarrier(1, 5).IsNone);
        Assert.True(aligner.OnBarrier(3, 4).IsNone);
        Assert.False(aligner.AnyBlocked);

        // The next checkpoint aligns as usual.
        aligner.OnBarrier(1, 6);
        Assert.True(aligner.IsBlocked(1));
    }

    [Fact]
    public void Switching_a_newer_checkpoint_aborts_the_older_alignment_and_a_stale_or_aborted_one_is_refused()
    {
        var aligner = new BarrierAligner(2);
        aligner.OnBarrier(0, 3);

        Assert.Empty(Assert.IsType<int[]>(aligner.SwitchToUnaligned(4, out var decision)));
        Assert.Equal(BarrierDecision.Abort(3), decision);
        Assert.False(aligner.AnyBlocked);

        // Older than the checkpoint being aligned, or taken already: refused, nothing changes.
        aligner.OnBarrier(1, 6);
        Assert.Null(aligner.SwitchToUnaligned(5, out var stale));
        Assert.True(stale.IsNone);
        Assert.True(aligner.IsBlocked(1));
        Assert.Null(aligner.SwitchToUnaligned(4, out _));

        // Aborted by a cancel marker: refused too (a promoted barrier of it must not start a snapshot).
        aligner.OnCancelMarker(6);
        Assert.Null(aligner.SwitchToUnaligned(6, out _));
        Assert.Empty(Assert.IsType<int[]>(aligner.SwitchToUnaligned(7, out _)));
    }
}
