using Weir.Grains.Transport;
using Weir.Grains.Wire;
using Weir.Serialization;

namespace Weir.Grains.Channels;

/// <summary>What the channel registry needs of a writer, whatever its element type.</summary>
internal interface IOutboundChannel
{
    RemoteChannelId Id { get; }

    Connection? Connection { get; }

    void Bind(Connection connection);

    void AddCredit(int credit);

    void Fail(Exception exception);
}

/// <summary>
/// The producing end of a cross-silo channel (see <see cref="IRemoteChannelFactory"/>). Used like
/// the producing side of an <see cref="OrderedChannel{T}"/>: <see cref="TryWrite"/> writes while
/// the producer holds credit and otherwise returns false, and the producer signal fires when
/// credit returns. Each element is encoded with the channel's codec and sent at once, in order;
/// writes from several threads are totally ordered. <see cref="WritePriority"/> sends an element
/// without credit that overtakes the elements buffered at the consumer. If the connection to the
/// consumer's silo is lost or the consumer refuses the channel, the writer faults: the producer
/// signal fires and <see cref="TryWrite"/> throws.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class RemoteChannelWriter<T> : IOutboundChannel
{
    private readonly object _lock = new();
    private readonly ISerializer<T> _codec;
    private readonly uint _handle;
    private readonly Action<uint> _release;

    // Priority elements written before the consumer's first credit: until then its silo may not
    // have claimed the channel, and would drop them.
    private readonly Queue<T> _heldPriority = new();
    private Connection? _connection;
    private bool _claimed;
    private Action? _producerSignal;
    private int _credit;
    private bool _waiting;
    private bool _completed;
    private bool _endSent;
    private Exception? _fault;

    internal RemoteChannelWriter(RemoteChannelId id, SiloAddress target, uint handle, ISerializer<T> codec, Action<uint> release)
    {
        Id = id;
        Target = target;
        _handle = handle;
        _codec = codec;
        _release = release;
    }

    /// <summary>The channel.</summary>
    public RemoteChannelId Id { get; }

    /// <summary>The silo of the consuming end.</summary>
    public SiloAddress Target { get; }

    /// <summary>How many more elements the producer may write now.</summary>
    public int Credit
    {
        get
        {
            lock (_lock)
            {
                return _credit;
            }
        }
    }

    /// <summary>Why the channel broke, or null while it works.</summary>
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

    Connection? IOutboundChannel.Connection
    {
        get
        {
            lock (_lock)
            {
                return _connection;
            }
        }
    }

    /// <summary>Sets what runs when credit returns to a producer that found none, or when the channel faults.</summary>
    public void SetProducerSignal(Action signal) => _producerSignal = signal;

    /// <summary>Sends an element if the producer holds credit; without credit, returns false and signals the producer when credit returns.</summary>
    /// <exception cref="InvalidOperationException">The channel was completed.</exception>
    /// <exception cref="SiloUnavailableException">The channel faulted (see <see cref="Fault"/>).</exception>
    public bool TryWrite(T item)
    {
        lock (_lock)
        {
            ThrowIfUnusable();
            if (_credit == 0)
            {
                _waiting = true;
                return false;
            }

            // Sent under the lock, so concurrent writers' elements leave in the order they were counted.
            var sent = Send(FrameType.ChannelData, item);
            if (!sent)
            {
                _fault ??= new SiloUnavailableException($"The connection to silo {Target} carrying channel {Id} closed.");
                ThrowIfUnusable();
            }

            _credit--;
            return true;
        }
    }

    /// <summary>
    /// Sends a priority element (an unaligned checkpoint's barrier) with or without credit, taking
    /// none: it follows the elements already sent on the wire, and the consumer's side reads it
    /// before the elements it has buffered (see <see cref="RemoteChannelReader{T}.Overtaking"/>).
    /// Before the consumer's first credit it is held and sent, in order, when that credit arrives.
    /// </summary>
    /// <exception cref="InvalidOperationException">The channel was completed.</exception>
    /// <exception cref="SiloUnavailableException">The channel faulted (see <see cref="Fault"/>).</exception>
    public void WritePriority(T item)
    {
        lock (_lock)
        {
            ThrowIfUnusable();
            if (!_claimed)
            {
                _heldPriority.Enqueue(item);
                return;
            }

            // Under the lock, like TryWrite: the element leaves after every element written before it.
            if (!Send(FrameType.ChannelPriority, item))
            {
                _fault ??= new SiloUnavailableException($"The connection to silo {Target} carrying channel {Id} closed.");
                ThrowIfUnusable();
            }
        }
    }

    /// <summary>Marks end of input: nothing more will be written. The consuming end completes after the elements already sent.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            SendEndIfBound();
        }
    }

    void IOutboundChannel.AddCredit(int credit)
    {
        bool signal;
        bool lost = false;
        lock (_lock)
        {
            _credit = (int)Math.Min(int.MaxValue, (long)_credit + credit);
            signal = _waiting;
            _waiting = false;
            if (!_claimed && _fault is null)
            {
                // The first credit: the consumer's silo bound the channel, so what was held may go.
                _claimed = true;
                while (!lost && _heldPriority.TryDequeue(out var held))
                {
                    lost = !Send(FrameType.ChannelPriority, held);
                }

                if (!lost)
                {
                    SendEndIfBound();
                }
            }
        }

        if (lost)
        {
            ((IOutboundChannel)this).Fail(new SiloUnavailableException($"The connection to silo {Target} carrying channel {Id} closed."));
        }
        else if (signal)
        {
            _producerSignal?.Invoke();
        }
    }

    /// <summary>Connects the writer to the consumer's silo: announces the channel. Nothing else goes out before the consumer's first credit.</summary>
    void IOutboundChannel.Bind(Connection connection)
    {
        lock (_lock)
        {
            if (_fault is not null)
            {
                return;
            }

            _connection = connection;
            var sent = connection.TrySend(FrameType.ChannelOpen, (_handle, Id.Value), static (writer, state) =>
            {
                writer.WriteVarUInt64(state._handle);
                writer.WriteString(state.Value);
            });
            if (sent)
            {
                return;
            }
        }

        ((IOutboundChannel)this).Fail(new SiloUnavailableException($"The connection to silo {Target} closed before channel {Id} was opened."));
    }

    /// <summary>Faults the writer (once) and tells the producer.</summary>
    void IOutboundChannel.Fail(Exception exception)
    {
        lock (_lock)
        {
            if (_fault is not null || _endSent)
            {
                return;
            }

            _fault = exception;
            _waiting = false;
            _heldPriority.Clear();
        }

        _release(_handle);
        _producerSignal?.Invoke();
    }

    /// <summary>Sends an element in a frame of <paramref name="type"/> (data or priority); false if the connection closed.</summary>
    private bool Send(FrameType type, T item) =>
        _connection!.TrySend(type, (this, item), static (writer, state) =>
        {
            writer.WriteVarUInt64(state.Item1._handle);
            state.Item1._codec.Write(writer, state.item);
        });

    /// <summary>
    /// Sends the end once the writer is completed and the consumer's silo bound the channel (its
    /// first credit came): an end sent before, to a channel its consumer has not opened, would be
    /// dropped there, and the consumer would wait for it forever.
    /// </summary>
    private void SendEndIfBound()
    {
        if (!_completed || !_claimed || _connection is null || _endSent)
        {
            return;
        }

        _endSent = _connection.TrySend(FrameType.ChannelEnd, _handle, static (writer, handle) => writer.WriteVarUInt64(handle));
        if (_endSent)
        {
            _release(_handle);
        }
    }

    private void ThrowIfUnusable()
    {
        if (_fault is not null)
        {
            throw new SiloUnavailableException($"Channel {Id} to silo {Target} is broken: {_fault.Message}");
        }

        if (_completed)
        {
            throw new InvalidOperationException($"Channel {Id} was completed: no element may be written after end of input.");
        }
    }
}
