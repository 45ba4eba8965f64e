using Weir.Streaming.Elements;
using Weir.Streaming.Tasks;

namespace Weir.Streaming.Output;

/// <summary>
/// Sends elements on one output channel in order. An element the channel refuses (no credit)
/// waits here, and so does everything after it; the task stops consuming input while any sender
/// has something waiting (<see cref="HasPending"/>), which is how backpressure travels upstream.
/// </summary>
internal sealed class ChannelSender
{
    private readonly IOutputChannel _channel;
    private readonly Queue<StreamElement> _pending = new();

    public ChannelSender(IOutputChannel channel, Action onCredit)
    {
        _channel = channel;
        channel.SetCreditListener(onCredit);
    }

    public bool HasPending => _pending.Count > 0;

    public void Send(StreamElement element)
    {
        if (_pending.Count == 0 && _channel.TryWrite(element))
        {
            return;
        }

        _pending.Enqueue(element);
    }

    /// <summary>
    /// Sends a priority element (an unaligned barrier, a cancel marker) at once, ahead of what waits
    /// here and of what the channel holds; returns what waited here, which it overtook (still sent after it).
    /// </summary>
    public StreamElement[] SendPriority(StreamElement element)
    {
        var overtaken = _pending.ToArray();
        _channel.WritePriority(element);
        return overtaken;
    }

    /// <summary>True if <paramref name="barrier"/> waits here, not yet written to the channel.</summary>
    public bool IsWaiting(CheckpointBarrier barrier) => _pending.Contains(barrier);

    /// <summary>
    /// Sends <paramref name="barrier"/>, an aligned barrier still waiting here past its alignment
    /// timeout, at once as an unaligned barrier, ahead of what waits before it here and of what the
    /// channel holds; returns what it overtook here (still sent, in order). Null if it left already.
    /// </summary>
    public StreamElement[]? Promote(CheckpointBarrier barrier)
    {
        var waiting = _pending.ToArray();
        var at = Array.IndexOf(waiting, barrier);
        if (at < 0)
        {
            return null;
        }

        _pending.Clear();
        for (var i = 0; i < waiting.Length; i++)
        {
            if (i != at)
            {
                _pending.Enqueue(waiting[i]);
            }
        }

        _channel.WritePriority(barrier.AsUnaligned([]));
        return waiting[..at];
    }

    /// <summary>Sends what waits, while the channel has credit; true when nothing waits anymore.</summary>
    public bool TrySendPending()
    {
        while (_pending.TryPeek(out var element))
        {
            if (!_channel.TryWrite(element))
            {
                return false;
            }

            _pending.Dequeue();
        }

        return true;
    }
}
