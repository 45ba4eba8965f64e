using Weir.Checkpointing.Metadata;
using Weir.Streaming.Elements;

namespace Weir.Streaming.ChannelState;

/// <summary>
/// The input side of one unaligned checkpoint at a task, from its snapshot (the checkpoint's first
/// barrier) until the barrier has come on every input channel. Per channel it keeps what the
/// snapshot does not hold but the upstream task's snapshot counts as sent: the records the barrier
/// overtook in the channel, and, on a channel whose barrier is still to come, every record the task
/// reads meanwhile. A channel that ended needs no barrier.
/// </summary>
internal sealed class InputChannelRecorder
{
    private readonly bool[] _done;
    private int _left;

    public InputChannelRecorder(long checkpointId, IReadOnlyList<IStreamElementCodec> codecs, Func<int, bool> ended)
    {
        CheckpointId = checkpointId;
        Buffer = new ChannelStateBuffer(ChannelStateKind.Input, codecs);
        _done = new bool[codecs.Count];
        for (var channel = 0; channel < _done.Length; channel++)
        {
            _done[channel] = ended(channel);
            _left += _done[channel] ? 0 : 1;
        }
    }

    public long CheckpointId { get; }

    /// <summary>What was kept.</summary>
    public ChannelStateBuffer Buffer { get; }

    /// <summary>True once every channel delivered the barrier or ended.</summary>
    public bool IsComplete => _left == 0;

    /// <summary>A record batch read from <paramref name="channel"/>: kept if that channel's barrier is still to come. Call before processing it.</summary>
    public void OnRecords(int channel, RecordBatch batch)
    {
        if (!_done[channel])
        {
            Buffer.Add(channel, batch);
        }
    }

    /// <summary>The checkpoint's barrier came on <paramref name="channel"/>, ahead of <paramref name="overtaken"/>.</summary>
    public void OnBarrier(int channel, IReadOnlyList<StreamElement> overtaken)
    {
        if (!_done[channel])
        {
            Buffer.AddRange(channel, overtaken);
            Done(channel);
        }
    }

    /// <summary><paramref name="channel"/> ended: nothing more comes on it.</summary>
    public void OnEndOfInput(int channel)
    {
        if (!_done[channel])
        {
            Done(channel);
        }
    }

    private void Done(int channel)
    {
        _done[channel] = true;
        _left--;
    }
}
