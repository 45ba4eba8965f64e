using Weir.Checkpointing.Coordinator;

namespace Weir.Checkpointing.Tests.Coordinator;

public sealed class CheckpointRequestDeciderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public void The_first_checkpoint_triggers_at_once()
    {
        var decider = new CheckpointRequestDecider(Interval, TimeSpan.Zero, maxConcurrent: 1);

        Assert.Equal(TriggerDecision.TriggerNow, decider.Decide(T0, pending: 0, lastTriggered: null, lastCompleted: null));
    }

    [Fact]
    public void The_first_checkpoint_waits_for_its_initial_delay_and_later_ones_only_for_the_interval()
    {
        var decider = new CheckpointRequestDecider(Interval, TimeSpan.Zero, maxConcurrent: 1);
        var firstAt = T0.AddSeconds(7);

        Assert.Equal(TriggerDecision.WaitUntil(firstAt), decider.Decide(T0, pending: 0, lastTriggered: null, lastCompleted: null, firstAt));
        Assert.Equal(TriggerDecision.TriggerNow, decider.Decide(firstAt, pending: 0, lastTriggered: null, lastCompleted: null, firstAt));
        Assert.Equal(TriggerDecision.TriggerNow, decider.Decide(firstAt.AddSeconds(10), pending: 0, lastTriggered: firstAt, lastCompleted: firstAt.AddSeconds(1), firstAt));
    }

    [Fact]
    public void The_next_checkpoint_waits_until_one_interval_after_the_previous_trigger()
    {
        var decider = new CheckpointRequestDecider(Interval, TimeSpan.Zero, maxConcurrent: 1);

        var early = decider.Decide(T0.AddSeconds(9.999), pending: 0, lastTriggered: T0, lastCompleted: T0.AddSeconds(1));
        var due = decider.Decide(T0.AddSeconds(10), pending: 0, lastTriggered: T0, lastCompleted: T0.AddSeconds(1));

        Assert.Equal(TriggerDecision.WaitUntil(T0 + Interval), early);
        Assert.Equal(TriggerDecision.TriggerNow, due);
    }

    [Fact]
    public void The_min_pause_counts_from_the_previous_completion_not_from_its_trigger()
    {
        var decider = new CheckpointRequestDecider(Interval, minPause: TimeSpan.FromSeconds(5), maxConcurrent: 1);
        var completed = T0.AddSeconds(8);

        var atInterval = decider.Decide(T0.AddSeconds(10), pending: 0, lastTriggered: T0, lastCompleted: completed);
        var afterPause = decider.Decide(T0.AddSeconds(13), pending: 0, lastTriggered: T0, lastCompleted: completed);

        Assert.Equal(TriggerDecision.WaitUntil(completed.AddSeconds(5)), atInterval);
        Assert.Equal(TriggerDecision.TriggerNow, afterPause);
    }

    [Fact]
    public void With_max_concurrent_checkpoints_pending_it_waits_for_one_to_end()
    {
        var decider = new CheckpointRequestDecider(Interval, TimeSpan.Zero, maxConcurrent: 2);
        var later = T0.AddMinutes(5);

        Assert.Equal(TriggerDecision.TriggerNow, decider.Decide(later, pending: 1, lastTriggered: T0, lastCompleted: null));
        Assert.Equal(TriggerDecision.WaitForPending, decider.Decide(later, pending: 2, lastTriggered: T0, lastCompleted: null));
    }

    [Fact]
    public void A_min_pause_means_checkpoints_never_overlap_whatever_max_concurrent_allows()
    {
        var decider = new CheckpointRequestDecider(Interval, minPause: TimeSpan.FromMilliseconds(1), maxConcurrent: 5);

        Assert.Equal(TriggerDecision.WaitForPending, decider.Decide(T0.AddMinutes(5), pending: 1, lastTriggered: T0, lastCompleted: null));
    }

    [Fact]
    public void In_random_runs_triggers_respect_the_interval_the_min_pause_and_the_concurrency_limit()
    {
        for (var seed = 0; seed < 500; seed++)
        {
            var random = new Random(seed);
            var interval = TimeSpan.FromMilliseconds(random.Next(1, 200));
            var minPause = random.Next(2) == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(random.Next(1, 200));
            var maxConcurrent = random.Next(1, 4);
            var decider = new CheckpointRequestDecider(interval, minPause, maxConcurrent);
            var now = T0;
            var pending = new List<DateTimeOffset>();
            DateTimeOffset? lastTriggered = null;
            DateTimeOffset? lastCompleted = null;
            var triggers = 0;
            for (var step = 0; step < 300; step++)
            {
                now += TimeSpan.FromMilliseconds(random.Next(1, 50));
                if (pending.Count > 0 && random.Next(3) == 0)
                {
                    pending.RemoveAt(0);
                    lastCompleted = now;
                }

                if (decider.Decide(now, pending.Count, lastTriggered, lastCompleted).Action != TriggerAction.Trigger)
                {
                    continue;
                }

                var context = $"seed {seed} (interval {interval.TotalMilliseconds} ms, min pause {minPause.TotalMilliseconds} ms, max concurrent {maxConcurrent}) at step {step}";
                Assert.True(lastTriggered is null || now - lastTriggered >= interval, $"{context}: triggered {(now - lastTriggered)?.TotalMilliseconds} ms after the previous trigger");
                Assert.True(lastCompleted is null || now - lastCompleted >= minPause, $"{context}: triggered {(now - lastCompleted)?.TotalMilliseconds} ms after a completion");
                Assert.True(pending.Count < maxConcurrent, $"{context}: triggered with {pending.Count} pending");
                Assert.True(minPause == TimeSpan.Zero || pending.Count == 0, $"{context}: overlapping checkpoints despite a min pause");
                pending.Add(now);
                lastTriggered = now;
                triggers++;
            }

            Assert.True(triggers > 0, $"seed {seed}: never triggered");
        }
    }
}
