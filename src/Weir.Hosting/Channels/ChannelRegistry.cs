using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Weir.Grains;
using Weir.Grains.Channels;
using Weir.Serialization;
using Weir.Streaming.Elements;
using Weir.Streaming.Tasks;

namespace Weir.Hosting.Channels;

/// <summary>Names one channel: which job attempt, which edge, from which subtask to which.</summary>
public readonly record struct ChannelKey(string JobId, int Attempt, int EdgeId, int FromSubtask, int ToSubtask)
{
    /// <summary>The channel's id between silos: <c>job/attempt/edge/from/to</c>.</summary>
    public RemoteChannelId RemoteId => new($"{JobId}/{Attempt}/{EdgeId}/{FromSubtask}/{ToSubtask}");
}

/// <summary>
/// The silo's channels between subtasks. When producer and consumer run on this silo they share
/// one <see cref="OrderedChannel{T}"/>, looked up by key whichever deploys first; when one end is
/// on another silo, the channel is a cross-silo channel with the same contract (FIFO, credit,
/// elements in band), its elements encoded with the edge's codec. A new attempt uses new keys,
/// so nothing from a failed attempt reaches the next one. In either, an aligned barrier that waits
/// past its alignment timeout overtakes the elements before it (<see cref="BarrierPromotion"/>).
/// </summary>
public sealed class ChannelRegistry(IRemoteChannelFactory? remote = null, int capacity = ChannelRegistry.DefaultCapacity, TimeProvider? clock = null)
{
    /// <summary>Batches a channel holds before its producer runs out of credit.</summary>
    public const int DefaultCapacity = 8;

    private readonly ConcurrentDictionary<ChannelKey, OrderedChannel<StreamElement>> _channels = new();
    private readonly ConcurrentDictionary<ChannelKey, byte> _remoteReaders = new();
    private readonly BarrierPromotion _promotion = new(clock ?? TimeProvider.System);

    /// <summary>Channels currently registered (local ones and the receiving ends of remote ones).</summary>
    public int Count => _channels.Count + _remoteReaders.Count;

    /// <summary>The reading end of a channel whose producer runs on this silo.</summary>
    public IInputChannel Input(ChannelKey key) => new InputAdapter(GetOrCreate(key), null);

    /// <summary>The writing end of a channel whose consumer runs on this silo.</summary>
    public IOutputChannel Output(ChannelKey key) => new OutputAdapter(GetOrCreate(key));

    /// <summary>The reading end of a channel whose producer runs on another silo.</summary>
    public IInputChannel RemoteInput(ChannelKey key, IStreamElementCodec codec)
    {
        var reader = Remote.OpenReader(key.RemoteId, new CodecSerializer(codec), capacity, CheckpointBarrier.Overtaking, _promotion);
        _remoteReaders[key] = 0;
        return new InputAdapter(reader.Channel, reader);
    }

    /// <summary>The writing end of a channel whose consumer runs on <paramref name="consumerSilo"/>.</summary>
    public IOutputChannel RemoteOutput(ChannelKey key, SiloAddress consumerSilo, IStreamElementCodec codec) =>
        new RemoteOutputAdapter(Remote.OpenWriter(key.RemoteId, consumerSilo, new CodecSerializer(codec)));

    /// <summary>Forgets every channel of a job attempt (their buffered elements are dropped).</summary>
    public void RemoveAttempt(string jobId, int attempt)
    {
        foreach (var key in _channels.Keys.Where(k => k.JobId == jobId && k.Attempt == attempt))
        {
            _channels.TryRemove(key, out _);
        }

        foreach (var key in _remoteReaders.Keys.Where(k => k.JobId == jobId && k.Attempt == attempt))
        {
            _remoteReaders.TryRemove(key, out _);
            remote?.CloseReader(key.RemoteId);
        }
    }

    private IRemoteChannelFactory Remote => remote
        ?? throw new InvalidOperationException("This silo has no cross-silo channels: it is not part of a cluster.");

    private OrderedChannel<StreamElement> GetOrCreate(ChannelKey key) => _channels.GetOrAdd(key, _ => new OrderedChannel<StreamElement>(capacity, _promotion));

    /// <summary>A channel's elements as a serializer, for the cross-silo transport.</summary>
    private sealed class CodecSerializer(IStreamElementCodec codec) : ISerializer<StreamElement>
    {
        public void Write(DataWriter writer, StreamElement value) => codec.Encode(value, writer);

        public StreamElement Read(ref DataReader reader) => codec.Decode(ref reader);
    }

    private sealed class InputAdapter(OrderedChannel<StreamElement> channel, RemoteChannelReader<StreamElement>? reader) : IInputChannel, IFaultingChannel
    {
        public bool TryRead([MaybeNullWhen(false)] out StreamElement element) => channel.TryRead(out element);

        public bool TryReadPriority([MaybeNullWhen(false)] out StreamElement element) => channel.TryReadPriority(out element);

        public void SetDataListener(Action listener) => channel.SetConsumerSignal(listener);

        public void SetFaultListener(Action<Exception> listener) =>
            reader?.SetFaultSignal(() => listener(reader.Fault ?? new SiloUnavailableException($"The producer of channel {reader.Id} is gone.")));
    }

    private sealed class OutputAdapter(OrderedChannel<StreamElement> channel) : IOutputChannel
    {
        public bool TryWrite(StreamElement element) => channel.TryWrite(element);

        public void SetCreditListener(Action listener) => channel.SetProducerSignal(listener);

        public void WritePriority(StreamElement element) => channel.WritePriority(overtaken => CheckpointBarrier.Overtaking(element, overtaken));
    }

    private sealed class RemoteOutputAdapter(RemoteChannelWriter<StreamElement> writer) : IOutputChannel
    {
        public bool TryWrite(StreamElement element) => writer.TryWrite(element);

        public void SetCreditListener(Action listener) => writer.SetProducerSignal(listener);

        // Overtakes on the consumer's silo, where the channel's elements are queued (see RemoteInput).
        public void WritePriority(StreamElement element) => writer.WritePriority(element);
    }
}

/// <summary>
/// Flink's <c>aligned-checkpoint-timeout</c> in a channel: an aligned barrier with a timeout that is
/// still queued, behind records, once the timeout has passed since its checkpoint was triggered
/// becomes an unaligned barrier ahead of them, carrying them as the records it overtook. The
/// consumer's next read finds it; a task aligning the checkpoint then switches to unaligned.
/// </summary>
public sealed class BarrierPromotion(TimeProvider clock) : IPromotion<StreamElement>
{
    /// <inheritdoc />
    public bool MayPromote(StreamElement item) => item is CheckpointBarrier { AlignmentTimeout: not null };

    /// <inheritdoc />
    public bool IsDue(StreamElement item) => ((CheckpointBarrier)item).IsAlignmentTimedOut(clock.GetUtcNow());

    /// <inheritdoc />
    public StreamElement Promote(StreamElement item, StreamElement[] overtaken) => ((CheckpointBarrier)item).AsUnaligned(overtaken);
}

/// <summary>A channel that can fail on its own (its other end was on a silo that is gone).</summary>
public interface IFaultingChannel
{
    /// <summary>Sets what runs when the channel faults.</summary>
    void SetFaultListener(Action<Exception> listener);
}
