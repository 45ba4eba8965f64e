namespace Weir.Checkpointing.Coordinator;

/// <summary>
/// Decides when the next periodic checkpoint may start: not before <c>interval</c> after the
/// previous trigger (the first: not before the attempt's initial delay has passed), not before
/// <c>min-pause</c> after the previous completion, and never with <c>max-concurrent-checkpoints</c>
/// already pending. (Flink's CheckpointRequestDecider.)
/// Pure: the caller passes the clock's reading.
/// </summary>
internal sealed class CheckpointRequestDecider(TimeSpan interval, TimeSpan minPause, int maxConcurrent)
{
    public TimeSpan Interval => interval;

    /// <summary>
    /// Whether to trigger now, and if not, the earliest time to ask again (null: when a pending checkpoint
    /// ends). With nothing triggered yet (<paramref name="lastTriggered"/> null), the first checkpoint
    /// waits for <paramref name="firstNotBefore"/>.
    /// </summary>
    public TriggerDecision Decide(DateTimeOffset now, int pending, DateTimeOffset? lastTriggered, DateTimeOffset? lastCompleted, DateTimeOffset firstNotBefore = default)
    {
        if (pending >= maxConcurrent || (minPause > TimeSpan.Zero && pending > 0))
        {
            // With a min pause, checkpoints never overlap: the pause counts from a completion.
            return TriggerDecision.WaitForPending;
        }

        var earliest = lastTriggered is { } triggered ? triggered + interval : firstNotBefore;
        if (lastCompleted is { } completed && completed + minPause > earliest)
        {
            earliest = completed + minPause;
        }

        return earliest <= now ? TriggerDecision.TriggerNow : TriggerDecision.WaitUntil(earliest);
    }
}

/// <summary>The decider's answer.</summary>
internal readonly record struct TriggerDecision(TriggerAction Action, DateTimeOffset? NotBefore)
{
    public static readonly TriggerDecision TriggerNow = new(TriggerAction.Trigger, null);

    public static readonly TriggerDecision WaitForPending = new(TriggerAction.WaitForPending, null);

    public static TriggerDecision WaitUntil(DateTimeOffset time) => new(TriggerAction.Wait, time);
}

internal enum TriggerAction
{
    Trigger,
    Wait,
    WaitForPending,
}
