namespace Weir.Streaming.Barriers;

/// <summary>
/// At-least-once barrier handling (Flink's CheckpointBarrierTracker): channels are never
/// blocked; the task snapshots checkpoint n when barrier n has arrived on every open channel.
/// Records that arrive on a channel after its barrier n but before the snapshot are included in
/// n and replayed after a restore: duplicates, never losses. When n triggers, older incomplete
/// checkpoints are aborted.
/// </summary>
public sealed class BarrierTracker : IBarrierHandler
{
    private readonly bool[] _finished;
    private readonly SortedDictionary<long, HashSet<int>> _pending = [];
    private int _openChannels;
    private long _latestHandled = long.MinValue;

    /// <summary>Creates a tracker for <paramref name="channels"/> input channels.</summary>
    public BarrierTracker(int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        _finished = new bool[channels];
        _openChannels = channels;
    }

    /// <inheritdoc />
    public bool IsBlocked(int channel) => false;

    /// <inheritdoc />
    public bool AnyBlocked => false;

    /// <inheritdoc />
    public long? CurrentCheckpoint => _pending.Count == 0 ? null : _pending.Keys.First();

    /// <inheritdoc />
    public BarrierDecision OnBarrier(int channel, long checkpointId)
    {
        if (checkpointId <= _latestHandled || _finished[channel])
        {
            return BarrierDecision.None;
        }

        if (!_pending.TryGetValue(checkpointId, out var seen))
        {
            _pending[checkpointId] = seen = [];
        }

        seen.Add(channel);
        return Complete(checkpointId);
    }

    /// <inheritdoc />
    public BarrierDecision OnCancelMarker(long checkpointId)
    {
        if (checkpointId <= _latestHandled && !_pending.ContainsKey(checkpointId))
        {
            return BarrierDecision.None;
        }

        _pending.Remove(checkpointId);
        return BarrierDecision.Abort(checkpointId);
    }

    /// <inheritdoc />
    public BarrierDecision OnAbortFromCoordinator(long checkpointId) =>
        _pending.Remove(checkpointId) ? BarrierDecision.Abort(checkpointId) : BarrierDecision.None;

    /// <inheritdoc />
    public BarrierDecision OnEndOfInput(int channel)
    {
        if (_finished[channel])
        {
            return BarrierDecision.None;
        }

        _finished[channel] = true;
        _openChannels--;
        foreach (var id in _pending.Keys.ToArray())
        {
            var decision = Complete(id);
            if (!decision.IsNone)
            {
                return decision;
            }
        }

        return BarrierDecision.None;
    }

    private BarrierDecision Complete(long checkpointId)
    {
        var seen = _pending[checkpointId];
        if (seen.Count(c => !_finished[c]) < _openChannels)
        {
            return BarrierDecision.None;
        }

        long? aborted = null;
        foreach (var older in _pending.Keys.Where(id => id <= checkpointId).ToArray())
        {
            _pending.Remove(older);
            if (older < checkpointId)
            {
                // Only the newest abort is reported; older ones are subsumed by the trigger.
                aborted = older;
            }
        }

        _latestHandled = checkpointId;
        return new BarrierDecision(aborted, checkpointId);
    }
}
