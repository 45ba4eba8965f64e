using System.Collections.Concurrent;
using Weir.Grains.Transport;
using Weir.Grains.Wire;
using Weir.Serialization;

namespace Weir.Grains.Channels;

/// <summary>
/// This silo's cross-silo channels: the writers it opened (by handle) and the readers it
/// opened (by channel id), and the frames between them.
///
/// Protocol, per channel, on the one connection between the two silos: the producer's silo
/// sends ChannelOpen(handle, id); the consumer's silo answers ChannelCredit(handle, n) (first the
/// capacity, then what the consumer read) or ChannelReject(handle, reason). After the first
/// credit the producer's silo sends ChannelData(handle, element), one per credit,
/// ChannelPriority(handle, element) without credit (an unaligned checkpoint's barrier: the
/// consumer's side reads it before the elements it has buffered, which arrived before it), and
/// finally ChannelEnd(handle). A channel opened by the producer before the consumer is
/// "unclaimed": its id waits (nothing but the open is sent before the first credit) until the
/// consumer opens it; at most <see cref="MaxUnclaimedChannels"/> wait. FIFO holds because one
/// connection carries every frame of a channel, in order.
/// </summary>
internal sealed class RemoteChannels(Func<SiloAddress> localSilo, Func<SiloAddress, Task<Connection>> connect) : IRemoteChannelFactory
{
    /// <summary>Channels opened by producers and not yet by their consumers; more are refused.</summary>
    public const int MaxUnclaimedChannels = 4096;

    private readonly ConcurrentDictionary<uint, IOutboundChannel> _writers = new();
    private readonly ConcurrentDictionary<RemoteChannelId, IInboundChannel> _readers = new();
    private readonly ConcurrentDictionary<(Connection Connection, uint Handle), IInboundChannel> _bindings = new();
    private readonly ConcurrentDictionary<RemoteChannelId, (Connection Connection, uint Handle)> _unclaimed = new();
    private int _lastHandle;

    public int OpenWriters => _writers.Count;

    /// <summary>Channels opened by their producers and not yet by their consumers.</summary>
    public int UnclaimedChannels => _unclaimed.Count;

    public RemoteChannelWriter<T> OpenWriter<T>(RemoteChannelId id, SiloAddress targetSilo, ISerializer<T> codec)
    {
        ArgumentNullException.ThrowIfNull(targetSilo);
        ArgumentNullException.ThrowIfNull(codec);
        if (targetSilo.Equals(localSilo()))
        {
            throw new ArgumentException($"Channel {id} would go from silo {targetSilo} to itself: use a local OrderedChannel.", nameof(targetSilo));
        }

        var handle = (uint)Interlocked.Increment(ref _lastHandle);
        var writer = new RemoteChannelWriter<T>(id, targetSilo, handle, codec, h => _writers.TryRemove(h, out _));
        _writers[handle] = writer;
        _ = BindAsync(writer, targetSilo);
        return writer;
    }

    public RemoteChannelReader<T> OpenReader<T>(RemoteChannelId id, ISerializer<T> codec, int capacity, Func<T, T[], T>? overtaking = null, IPromotion<T>? promotion = null)
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);

        // Set before the reader is visible, so no producer can bind (and send a priority element) first.
        var reader = _readers.GetOrAdd(id, _ => new RemoteChannelReader<T>(id, codec, capacity, promotion) { Overtaking = overtaking }) as RemoteChannelReader<T>
            ?? throw new InvalidOperationException($"Channel {id} is open here with another element type than {typeof(T).Name}.");
        if (overtaking is not null)
        {
            reader.Overtaking = overtaking;
        }

        ClaimIfWaiting(id, reader);
        return reader;
    }

    public bool CloseReader(RemoteChannelId id)
    {
        if (!_readers.TryRemove(id, out var reader))
        {
            return false;
        }

        foreach (var (key, bound) in _bindings)
        {
            if (ReferenceEquals(bound, reader) && _bindings.TryRemove(key, out _))
            {
                Reject(key.Connection, key.Handle, $"the consumer closed channel {id}");
            }
        }

        return true;
    }

    /// <summary>Handles a channel frame from a silo connection.</summary>
    public void OnFrame(Connection connection, FrameType type, ReadOnlySpan<byte> payload)
    {
        var reader = new DataReader(payload);
        var handle = ReadHandle(ref reader);
        switch (type)
        {
            case FrameType.ChannelOpen:
                OnOpen(connection, handle, reader.ReadString());
                break;
            case FrameType.ChannelData:
                if (_bindings.TryGetValue((connection, handle), out var inbound))
                {
                    inbound.OnData(payload[reader.Position..]);
                }

                // Otherwise the consumer closed the channel; what its producer still sends is dropped.
                break;
            case FrameType.ChannelPriority:
                if (_bindings.TryGetValue((connection, handle), out var prioritized))
                {
                    prioritized.OnPriority(payload[reader.Position..]);
                }

                break;
            case FrameType.ChannelEnd:
                if (_bindings.TryRemove((connection, handle), out var ended))
                {
                    ended.OnEnd();
                }

                break;
            case FrameType.ChannelCredit:
                var credit = reader.ReadVarUInt64();
                if (_writers.TryGetValue(handle, out var writer) && ReferenceEquals(writer.Connection, connection))
                {
                    writer.AddCredit((int)Math.Min(credit, int.MaxValue));
                }

                break;
            case FrameType.ChannelReject:
                var reason = reader.ReadString() ?? "no reason given";
                if (_writers.TryGetValue(handle, out var refused) && ReferenceEquals(refused.Connection, connection))
                {
                    refused.Fail(new SiloUnavailableException($"Channel {refused.Id} was refused by silo {connection.Peer}: {reason}"));
                }

                break;
        }
    }

    /// <summary>Faults every channel that ran over a connection that closed.</summary>
    public void OnConnectionClosed(Connection connection, string reason)
    {
        foreach (var writer in _writers.Values)
        {
            if (ReferenceEquals(writer.Connection, connection))
            {
                writer.Fail(new SiloUnavailableException($"The connection to silo {connection.Peer} carrying channel {writer.Id} closed: {reason}"));
            }
        }

        foreach (var (key, reader) in _bindings)
        {
            if (ReferenceEquals(key.Connection, connection) && _bindings.TryRemove(key, out _))
            {
                reader.Fail(new SiloUnavailableException($"The connection from silo {connection.Peer} carrying channel {reader.Id} closed before its end: {reason}"));
            }
        }

        foreach (var (id, open) in _unclaimed)
        {
            if (ReferenceEquals(open.Connection, connection))
            {
                _unclaimed.TryRemove(id, out _);
            }
        }
    }

    private async Task BindAsync(IOutboundChannel writer, SiloAddress target)
    {
        try
        {
            writer.Bind(await connect(target).ConfigureAwait(false));
        }
        catch (Exception exception)
        {
            writer.Fail(exception as SiloUnavailableException ?? new SiloUnavailableException($"Channel {writer.Id} cannot reach silo {target}: {exception.Message}"));
        }
    }

    private void OnOpen(Connection connection, uint handle, string? text)
    {
        if (text is null or { Length: 0 or > RemoteChannelId.MaxLength })
        {
            throw new SerializationException($"A ChannelOpen names no valid channel id ({text?.Length ?? 0} characters).");
        }

        var id = new RemoteChannelId(text);
        if (_readers.TryGetValue(id, out var reader))
        {
            Bind(reader, connection, handle);
            return;
        }

        if (_unclaimed.Count >= MaxUnclaimedChannels)
        {
            Reject(connection, handle, $"more than {MaxUnclaimedChannels} channels wait for their consumers on silo {localSilo()}");
            return;
        }

        if (!_unclaimed.TryAdd(id, (connection, handle)))
        {
            Reject(connection, handle, $"channel {id} already has a producer");
            return;
        }

        // The consumer may have opened the channel between the two lookups: whoever takes the entry binds.
        if (_readers.TryGetValue(id, out reader))
        {
            ClaimIfWaiting(id, reader);
        }
    }

    private void ClaimIfWaiting(RemoteChannelId id, IInboundChannel reader)
    {
        if (_unclaimed.TryRemove(id, out var open))
        {
            Bind(reader, open.Connection, open.Handle);
        }
    }

    private void Bind(IInboundChannel reader, Connection connection, uint handle)
    {
        // Registered before the credit goes out, so the first element finds the binding.
        _bindings[(connection, handle)] = reader;
        if (!reader.TryBind(connection, handle))
        {
            _bindings.TryRemove((connection, handle), out _);
            Reject(connection, handle, $"channel {reader.Id} already has a producer");
        }
    }

    private static void Reject(Connection connection, uint handle, string reason) =>
        connection.TrySend(FrameType.ChannelReject, (handle, reason), static (writer, state) =>
        {
            writer.WriteVarUInt64(state.handle);
            writer.WriteString(state.reason);
        });

    private static uint ReadHandle(ref DataReader reader)
    {
        var handle = reader.ReadVarUInt64();
        return handle <= uint.MaxValue ? (uint)handle : throw new SerializationException($"Channel handle {handle} is out of range.");
    }
}
