using Weir.Checkpointing.Metadata;
using Weir.Serialization;
using Weir.Streaming.Elements;

namespace Weir.Streaming.ChannelState;

/// <summary>
/// The in-flight records of one side of a task (its input or its output channels) for one
/// unaligned checkpoint, encoded per channel as they are found, on the task's thread: a batch is
/// encoded before the task processes or sends it, since its arrays are recycled afterwards.
/// Only record batches are kept; watermarks and other control elements are not state (after a
/// restore the sources emit watermarks again).
/// </summary>
internal sealed class ChannelStateBuffer(ChannelStateKind kind, IReadOnlyList<IStreamElementCodec> codecs)
{
    private readonly DataWriter?[] _channels = new DataWriter?[codecs.Count];

    public ChannelStateKind Kind => kind;

    /// <summary>Records kept so far, over all channels.</summary>
    public long Records { get; private set; }

    /// <summary>Keeps <paramref name="element"/> of <paramref name="channel"/> if it is a batch of records.</summary>
    public void Add(int channel, StreamElement element)
    {
        if (element is RecordBatch { Count: > 0 } batch)
        {
            codecs[channel].Encode(batch, _channels[channel] ??= new DataWriter(4096));
            Records += batch.Count;
        }
    }

    /// <summary>Keeps the record batches among <paramref name="elements"/>, in order.</summary>
    public void AddRange(int channel, IEnumerable<StreamElement> elements)
    {
        foreach (var element in elements)
        {
            Add(channel, element);
        }
    }

    /// <summary>The channels that have records, with their encoded batches.</summary>
    public IEnumerable<(int Channel, ReadOnlyMemory<byte> Bytes)> Channels()
    {
        for (var channel = 0; channel < _channels.Length; channel++)
        {
            if (_channels[channel] is { Length: > 0 } writer)
            {
                yield return (channel, writer.WrittenMemory);
            }
        }
    }
}
