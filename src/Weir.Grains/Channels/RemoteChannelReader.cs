using System.Net;
using Weir.Grains.Transport;
using Weir.Grains.Wire;
using Weir.Serialization;

namespace Weir.Grains.Channels;

/// <summary>What the channel registry needs of a reader, whatever its element type.</summary>
internal interface IInboundChannel
{
    RemoteChannelId Id { get; }

    bool TryBind(Connection connection, uint handle);

    void OnData(ReadOnlySpan<byte> element);

    void OnPriority(ReadOnlySpan<byte> element);

    void OnEnd();

    void Fail(Exception exception);
}

/// <summary>
/// The consuming end of a cross-silo channel: an ordinary <see cref="OrderedChannel{T}"/> that
/// the remote producer feeds. When the producer's silo binds to it, it announces the channel's
/// capacity as credit; as the consumer reads, it returns credit in batches (a quarter of the
/// capacity, or whatever is owed when the channel runs empty), so the elements buffered here and
/// in flight never exceed the capacity. A producer that writes beyond its credit breaks the
/// protocol and its connection is closed. A priority element needs no credit: it is written with
/// <see cref="OrderedChannel{T}.WritePriority"/>, overtaking the elements buffered here (those the
/// producer sent before it), and <see cref="Overtaking"/> makes it from what it overtook. An
/// element the channel promotes (<see cref="IPromotion{T}"/>: a barrier past its alignment timeout)
/// returns its credit as it leaves its place.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class RemoteChannelReader<T> : IInboundChannel
{
    /// <summary>The most priority elements buffered unread; beyond it the producer breaks the protocol.</summary>
    internal const int MaxPriorityBuffered = 64;

    private readonly object _lock = new();
    private readonly ISerializer<T> _codec;
    private readonly int _creditBatch;
    private Connection? _connection;
    private uint _handle;
    private int _unannounced;
    private bool _ended;
    private Exception? _fault;
    private Action? _faultSignal;

    internal RemoteChannelReader(RemoteChannelId id, ISerializer<T> codec, int capacity, IPromotion<T>? promotion = null)
    {
        Id = id;
        _codec = codec;
        Channel = new OrderedChannel<T>(capacity, promotion) { ItemRead = OnItemRead };
        _creditBatch = Math.Max(1, capacity / 4);
    }

    /// <summary>The channel.</summary>
    public RemoteChannelId Id { get; }

    /// <summary>The local channel the consumer reads: FIFO, completed after the producer's end of input.</summary>
    public OrderedChannel<T> Channel { get; }

    /// <summary>
    /// Makes the priority element the consumer reads from the one received and the elements it
    /// overtook, oldest first (e.g. a barrier that records them as in-flight data); null keeps the
    /// element as received. Runs under the channel's lock: it should only wrap them.
    /// </summary>
    public Func<T, T[], T>? Overtaking { get; set; }

    /// <summary>True once a producer is bound.</summary>
    public bool IsConnected
    {
        get
        {
            lock (_lock)
            {
                return _connection is not null;
            }
        }
    }

    /// <summary>Why the channel broke before its end (the producer's silo or connection was lost), or null.</summary>
    public Exception? Fault
    {
        get
        {
            lock (_lock)
            {
                return _fault;
            }
        }
    }

    /// <summary>Sets what runs when the channel faults.</summary>
    public void SetFaultSignal(Action signal) => _faultSignal = signal;

    bool IInboundChannel.TryBind(Connection connection, uint handle)
    {
        lock (_lock)
        {
            if (_connection is not null || _fault is not null)
            {
                return false;
            }

            _connection = connection;
            _handle = handle;
        }

        SendCredit(connection, handle, Channel.Credit);
        return true;
    }

    void IInboundChannel.OnData(ReadOnlySpan<byte> element)
    {
        var item = Decode(element);
        bool written;
        try
        {
            written = Channel.TryWrite(item);
        }
        catch (InvalidOperationException)
        {
            throw new ProtocolViolationException($"the producer of channel {Id} wrote after its end of input");
        }

        if (!written)
        {
            throw new ProtocolViolationException($"the producer of channel {Id} wrote beyond its credit of {Channel.Capacity} elements");
        }
    }

    void IInboundChannel.OnPriority(ReadOnlySpan<byte> element)
    {
        // Priority elements take no credit; a producer sends a few (barriers of the checkpoints in flight), never a stream of them.
        if (Channel.PriorityCount >= MaxPriorityBuffered)
        {
            throw new ProtocolViolationException($"the producer of channel {Id} sent more than {MaxPriorityBuffered} priority elements the consumer had not read");
        }

        var item = Decode(element);
        var overtaking = Overtaking;
        try
        {
            Channel.WritePriority(overtaken => overtaking is null ? item : overtaking(item, overtaken));
        }
        catch (InvalidOperationException)
        {
            throw new ProtocolViolationException($"the producer of channel {Id} wrote a priority element after its end of input");
        }
    }

    void IInboundChannel.OnEnd()
    {
        lock (_lock)
        {
            _ended = true;
        }

        Channel.Complete();
    }

    /// <summary>Faults the channel (once, unless it already ended) and signals.</summary>
    void IInboundChannel.Fail(Exception exception)
    {
        lock (_lock)
        {
            if (_ended || _fault is not null)
            {
                return;
            }

            _fault = exception;
        }

        _faultSignal?.Invoke();
    }

    private void OnItemRead()
    {
        Connection? connection;
        uint handle;
        int grant;
        lock (_lock)
        {
            if (_connection is null || _ended || _fault is not null)
            {
                return;
            }

            _unannounced++;
            // Only ordinary elements hold credit: a priority element left in the channel is no reason to wait.
            if (_unannounced < _creditBatch && Channel.OrdinaryCount > 0)
            {
                return;
            }

            grant = _unannounced;
            _unannounced = 0;
            connection = _connection;
            handle = _handle;
        }

        SendCredit(connection, handle, grant);
    }

    private T Decode(ReadOnlySpan<byte> element)
    {
        var reader = new DataReader(element);
        var item = _codec.Read(ref reader);
        if (!reader.End)
        {
            throw new SerializationException($"An element of channel {Id} leaves {reader.Remaining} bytes unread: producer and consumer use different codecs.");
        }

        return item;
    }

    private static void SendCredit(Connection connection, uint handle, int credit) =>
        connection.TrySend(FrameType.ChannelCredit, (handle, credit), static (writer, state) =>
        {
            writer.WriteVarUInt64(state.handle);
            writer.WriteVarUInt64((ulong)state.credit);
        });
}
