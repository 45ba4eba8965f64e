namespace Weir.Streaming.Barriers;

/// <summary>
/// Exactly-once barrier alignment, as an explicit state machine (Flink's BarrierHandlerState):
/// <list type="bullet">
/// <item><b>Waiting</b>: no alignment in progress. Barrier n on a channel starts aligning n and
/// blocks that channel (with one open channel, n is triggered at once).</item>
/// <item><b>Aligning(n)</b>: each channel that delivers barrier n is blocked; when every open
/// channel did, n is triggered and all channels unblock. A newer barrier m aborts n and starts
/// aligning m; a cancel marker for n aborts n; an older barrier is ignored.</item>
/// </list>
/// A finished channel (end of input) counts as having delivered every barrier. Barriers of a
/// checkpoint that was already triggered or aborted are ignored and never block. A checkpoint
/// that times out its alignment leaves the aligner (<see cref="SwitchToUnaligned"/>): the task
/// takes it unaligned.
/// </summary>
public sealed class BarrierAligner : IBarrierHandler
{
    private readonly bool[] _blocked;
    private readonly bool[] _finished;
    private int _openChannels;
    private int _blockedCount;
    private long? _aligning;
    private long _latestHandled = long.MinValue;

    /// <summary>Creates an aligner for <paramref name="channels"/> input channels.</summary>
    public BarrierAligner(int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        _blocked = new bool[channels];
        _finished = new bool[channels];
        _openChannels = channels;
    }

    /// <inheritdoc />
    public bool IsBlocked(int channel) => _blocked[channel];

    /// <inheritdoc />
    public bool AnyBlocked => _blockedCount > 0;

    /// <inheritdoc />
    public long? CurrentCheckpoint => _aligning;

    /// <inheritdoc />
    public BarrierDecision OnBarrier(int channel, long checkpointId)
    {
        if (checkpointId <= _latestHandled || _finished[channel])
        {
            return BarrierDecision.None;
        }

        long? aborted = null;
        if (_aligning is { } current)
        {
            if (checkpointId < current)
            {
                return BarrierDecision.None;
            }

            if (checkpointId > current)
            {
                aborted = current;
                _latestHandled = current;
                UnblockAll();
                _aligning = null;
            }
        }

        _aligning = checkpointId;
        Block(channel);
        var triggered = TryCompleteAlignment();
        return new BarrierDecision(aborted, triggered);
    }

    /// <inheritdoc />
    public BarrierDecision OnCancelMarker(long checkpointId) => AbortUpTo(checkpointId);

    /// <inheritdoc />
    public BarrierDecision OnAbortFromCoordinator(long checkpointId) =>
        _aligning == checkpointId ? AbortUpTo(checkpointId) : BarrierDecision.None;

    /// <inheritdoc />
    public BarrierDecision OnEndOfInput(int channel)
    {
        if (_finished[channel])
        {
            return BarrierDecision.None;
        }

        _finished[channel] = true;
        _openChannels--;
        if (_blocked[channel])
        {
            _blocked[channel] = false;
            _blockedCount--;
        }

        return _aligning is null ? BarrierDecision.None : new BarrierDecision(null, TryCompleteAlignment());
    }

    /// <inheritdoc />
    public int[]? SwitchToUnaligned(long checkpointId, out BarrierDecision decision)
    {
        decision = BarrierDecision.None;
        if (checkpointId <= _latestHandled || checkpointId < _aligning)
        {
            return null;
        }

        int[] delivered = [];
        if (_aligning is { } current)
        {
            if (current < checkpointId)
            {
                decision = BarrierDecision.Abort(current);
            }
            else
            {
                delivered = [.. Enumerable.Range(0, _blocked.Length).Where(channel => _blocked[channel])];
            }

            UnblockAll();
            _aligning = null;
        }

        _latestHandled = checkpointId;
        return delivered;
    }

    private BarrierDecision AbortUpTo(long checkpointId)
    {
        if (checkpointId <= _latestHandled)
        {
            return BarrierDecision.None;
        }

        _latestHandled = checkpointId;
        if (_aligning is { } current && current <= checkpointId)
        {
            UnblockAll();
            _aligning = null;
        }

        return BarrierDecision.Abort(checkpointId);
    }

    private long? TryCompleteAlignment()
    {
        if (_blockedCount < _openChannels)
        {
            return null;
        }

        var completed = _aligning!.Value;
        _latestHandled = completed;
        _aligning = null;
        UnblockAll();
        return completed;
    }

    private void Block(int channel)
    {
        if (!_blocked[channel])
        {
            _blocked[channel] = true;
            _blockedCount++;
        }
    }

    private void UnblockAll()
    {
        Array.Clear(_blocked);
        _blockedCount = 0;
    }
}
