using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Weir.Grains.Channels;
using Weir.Streaming.Elements;
using Weir.Streaming.Tasks;

namespace Weir.Hosting.Channels;

/// <summary>Names one channel: which job attempt, which edge, from which subtask to which.</summary>
public readonly record struct ChannelKey(string JobId, int Attempt, int EdgeId, int FromSubtask, int ToSubtask);

/// <summary>
/// The silo's channels between subtasks. Producer and consumer look a channel up by its key and
/// get the same object, whichever deploys first; a new attempt uses new keys, so nothing from a
/// failed attempt reaches the next one.
/// </summary>
public sealed class ChannelRegistry(int capacity = ChannelRegistry.DefaultCapacity)
{
    /// <summary>Batches a channel holds before its producer runs out of credit.</summary>
    public const int DefaultCapacity = 8;

    private readonly ConcurrentDictionary<ChannelKey, OrderedChannel<StreamElement>> _channels = new();

    /// <summary>Channels currently registered.</summary>
    public int Count => _channels.Count;

    /// <summary>The reading end of a channel.</summary>
    public IInputChannel Input(ChannelKey key) => new InputAdapter(GetOrCreate(key));

    /// <summary>The writing end of a channel.</summary>
    public IOutputChannel Output(ChannelKey key) => new OutputAdapter(GetOrCreate(key));

    /// <summary>Forgets every channel of a job attempt (their buffered elements are dropped).</summary>
    public void RemoveAttempt(string jobId, int attempt)
    {
        foreach (var key in _channels.Keys.Where(k => k.JobId == jobId && k.Attempt == attempt))
        {
            _channels.TryRemove(key, out _);
        }
    }

    private OrderedChannel<StreamElement> GetOrCreate(ChannelKey key) => _channels.GetOrAdd(key, _ => new OrderedChannel<StreamElement>(capacity));

    private sealed class InputAdapter(OrderedChannel<StreamElement> channel) : IInputChannel
    {
        public bool TryRead([MaybeNullWhen(false)] out StreamElement element) => channel.TryRead(out element);

        public void SetDataListener(Action listener) => channel.SetConsumerSignal(listener);
    }

    private sealed class OutputAdapter(OrderedChannel<StreamElement> channel) : IOutputChannel
    {
        public bool TryWrite(StreamElement element) => channel.TryWrite(element);

        public void SetCreditListener(Action listener) => channel.SetProducerSignal(listener);
    }
}
