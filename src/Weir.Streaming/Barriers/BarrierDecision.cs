namespace Weir.Streaming.Barriers;

/// <summary>
/// What a barrier handler tells its task after an input event: possibly abort one checkpoint
/// (tell the coordinator and downstream), then possibly snapshot another. Both may happen at
/// once: a newer barrier aborts the alignment in progress and, on a single open channel,
/// completes its own alignment immediately.
/// </summary>
public readonly record struct BarrierDecision(long? AbortedCheckpoint, long? TriggeredCheckpoint)
{
    /// <summary>Nothing to do.</summary>
    public static readonly BarrierDecision None = new(null, null);

    /// <summary>Snapshot checkpoint <paramref name="id"/> now.</summary>
    public static BarrierDecision Trigger(long id) => new(null, id);

    /// <summary>Abort checkpoint <paramref name="id"/>.</summary>
    public static BarrierDecision Abort(long id) => new(id, null);

    /// <summary>True if there is nothing to do.</summary>
    public bool IsNone => AbortedCheckpoint is null && TriggeredCheckpoint is null;
}

/// <summary>
/// Handles barriers, cancel markers and end of input on a task's input channels, and says which
/// channels may be read. Pure: it sees events and returns decisions; the task acts on them.
/// </summary>
public interface IBarrierHandler
{
    /// <summary>True if the task must not read <paramref name="channel"/> now.</summary>
    bool IsBlocked(int channel);

    /// <summary>True if any channel is blocked.</summary>
    bool AnyBlocked { get; }

    /// <summary>The checkpoint being aligned, if any.</summary>
    long? CurrentCheckpoint { get; }

    /// <summary>Barrier <paramref name="checkpointId"/> arrived on <paramref name="channel"/>.</summary>
    BarrierDecision OnBarrier(int channel, long checkpointId);

    /// <summary>A cancel marker for <paramref name="checkpointId"/> arrived.</summary>
    BarrierDecision OnCancelMarker(long checkpointId);

    /// <summary><paramref name="channel"/> delivered end of input: it sends no more barriers.</summary>
    BarrierDecision OnEndOfInput(int channel);

    /// <summary>The task aborts <paramref name="checkpointId"/> itself (e.g. coordinator told it): stop aligning for it.</summary>
    BarrierDecision OnAbortFromCoordinator(long checkpointId);

    /// <summary>
    /// An unaligned barrier of <paramref name="checkpointId"/> arrived (an aligned barrier promoted past
    /// its alignment timeout, or one an upstream task sent after switching): the task takes it
    /// unaligned. Stops aligning it, or aborts an older alignment (<paramref name="decision"/>);
    /// barriers of it and older ones are ignored from now on. Returns the channels that had delivered
    /// its aligned barrier, which owe it nothing more; null if it is stale here (taken, aborted, or
    /// older than the checkpoint being aligned): the barrier is to be ignored.
    /// </summary>
    int[]? SwitchToUnaligned(long checkpointId, out BarrierDecision decision);
}
