using System.Diagnostics.CodeAnalysis;
using Weir.Streaming.Barriers;
using Weir.Streaming.Elements;

namespace Weir.Streaming.Tasks;

/// <summary>
/// A task's input channels, read round-robin so no channel starves, skipping the channels the
/// barrier handler blocks (aligned checkpoints) and those that delivered end of input.
/// </summary>
internal sealed class InputGate(IReadOnlyList<InputBinding> inputs, IBarrierHandler barriers)
{
    private readonly bool[] _finished = new bool[inputs.Count];
    private int _next;
    private int _finishedCount;

    public int ChannelCount => inputs.Count;

    public bool AllFinished => _finishedCount == inputs.Count;

    public int InputIndexOf(int channel) => inputs[channel].InputIndex;

    public bool IsFinished(int channel) => _finished[channel];

    public void MarkFinished(int channel)
    {
        if (!_finished[channel])
        {
            _finished[channel] = true;
            _finishedCount++;
        }
    }

    /// <summary>The next element of the next readable channel with data.</summary>
    public bool TryPoll([MaybeNullWhen(false)] out StreamElement element, out int channel)
    {
        var count = inputs.Count;
        for (var i = 0; i < count; i++)
        {
            channel = _next;
            _next = _next + 1 == count ? 0 : _next + 1;
            if (_finished[channel] || barriers.IsBlocked(channel))
            {
                continue;
            }

            if (inputs[channel].Channel.TryRead(out element))
            {
                return true;
            }
        }

        element = null;
        channel = -1;
        return false;
    }
}
