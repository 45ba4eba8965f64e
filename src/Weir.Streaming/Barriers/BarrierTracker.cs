namespace Weir.Streaming.Barriers;

/// <summary>
/// At-least-once barrier handling (Flink's CheckpointBarrierTracker): channels are never
/// blocked; the task snapshots checkpoint n when barrier n has arrived on every open channel.
/// Records that arrive on a channel after its barrier n but before the snapshot are included in
/// n and replayed after a restore: duplicates, never losses. When n triggers, older incomplete
/// checkpoints are aborted. A cancel marker for n aborts n, and n's later barriers are ignored.
/// </summary>
public sealed class BarrierTracker : IBarrierHandler
{
    private readonly bool[] _finished;
    private readonly SortedDictionary<long, HashSet<int>> _pending = [];
    private readonly HashSet<long> _cancelled = [];
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
        if (checkpointId <= _latestHandled || _finished[channel] || _cancelled.Contains(checkpointId))
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
        if ((checkpointId <= _latestHandled && !_pending.ContainsKey(checkpointId)) || _cancelled.Contains(checkpointId))
        {
            return BarrierDecision.None;
        }

        // Remembered until a newer checkpoint triggers, so its barriers on other channels cannot trigger it.
        _pending.Remove(checkpointId);
        _cancelled.Add(checkpointId);
        return BarrierDecision.Abort(checkpointId);
    }

    /// <inheritdoc />
    public BarrierDecision OnAbortFromCoordinator(long checkpointId) =>
        _pending.Remove(checkpointId) ? BarrierDecision.Abort(checkpointId) : BarrierDecision.None;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Always: unaligned checkpoints are exactly-once only (start-up refuses them with AT_LEAST_ONCE).</exception>
    public int[]? SwitchToUnaligned(long checkpointId, out BarrierDecision decision) =>
        throw new InvalidOperationException($"An unaligned barrier of checkpoint {checkpointId} reached an AT_LEAST_ONCE task: unaligned checkpoints are exactly-once only.");

    /// <inheritdoc />
    public BarrierDecision OnEndOfInput(int channel)
    {
        if (_finished[channel])
        {
            return BarrierDecision.None;
        }

        _finished[channel] = true;
        _openChannels--;

        // Several pending checkpoints may be complete now; the newest triggers and subsumes the older ones.
        foreach (var id in _pending.Keys.Reverse().ToArray())
        {
            if (IsComplete(id))
            {
                return Complete(id);
            }
        }

        return BarrierDecision.None;
    }

    private bool IsComplete(long checkpointId) => _pending[checkpointId].Count(c => !_finished[c]) >= _openChannels;

    private BarrierDecision Complete(long checkpointId)
    {
        if (!IsComplete(checkpointId))
        {
            return BarrierDecision.None;
        }

        long? aborted = null;
        foreach (var older in _pending.Keys.Where(id => id <= checkpointId).ToArray())
        {
            if (older < checkpointId && !IsComplete(older))
            {
                // Only the newest abort is reported; older ones are subsumed by the trigger, and so
                // are older complete ones (possible when end of input completes several at once).
                aborted = older;
            }

            _pending.Remove(older);
        }

        _cancelled.RemoveWhere(id => id <= checkpointId);
        _latestHandled = checkpointId;
        return new BarrierDecision(aborted, checkpointId);
    }
}
