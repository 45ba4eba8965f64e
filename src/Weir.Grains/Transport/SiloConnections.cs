using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Weir.Grains.Wire;

namespace Weir.Grains.Transport;

/// <summary>
/// The connections of this silo to other silos: one per pair, used in both directions.
///
/// A silo that needs a peer uses the open connection, or dials one. When two silos dial each
/// other at the same moment, the dial of the silo whose address sorts lower wins: the lower
/// silo refuses the higher one's Hello with <see cref="RejectCode.Duplicate"/> while its own
/// dial is in flight or open, and the higher silo, refused, waits for the winner to arrive (it
/// accepts the lower silo's Hello in any case). Any other Hello from a peer that has an open
/// connection here replaces it: the peer lost that connection, and says so by dialing. A peer
/// the membership table says is dead is refused, and its connection is closed when it is
/// declared dead. An accepted connection is started with its HelloAck as the first frame, so
/// nothing can overtake the ack.
/// </summary>
internal sealed class SiloConnections(
    Func<SiloAddress> localSilo,
    string clusterId,
    string siloName,
    ConnectionOptions options,
    IConnectionHandler handler,
    Func<SiloAddress, bool> isDead,
    ILogger logger)
{
    private const int MaxDuplicateRetries = 3;
    private readonly ConcurrentDictionary<SiloAddress, PeerSlot> _slots = new();
    private volatile bool _stopped;

    public IEnumerable<Connection> OpenConnections =>
        _slots.Values.Select(s => s.Open).Where(c => c is { IsClosed: false }).Cast<Connection>().ToList();

    public bool TryGetOpen(SiloAddress silo, [NotNullWhen(true)] out Connection? connection)
    {
        connection = _slots.TryGetValue(silo, out var slot) ? slot.Open : null;
        if (connection is { IsClosed: false })
        {
            return true;
        }

        connection = null;
        return false;
    }

    /// <summary>The open connection to <paramref name="silo"/>, dialing one if needed.</summary>
    /// <exception cref="SiloUnavailableException">The silo cannot be reached or is dead.</exception>
    public Task<Connection> GetAsync(SiloAddress silo)
    {
        if (_stopped)
        {
            return Task.FromException<Connection>(new SiloUnavailableException($"Silo {localSilo()} has stopped: it connects to no silo."));
        }

        if (isDead(silo))
        {
            return Task.FromException<Connection>(new SiloUnavailableException($"Silo {silo} was declared dead."));
        }

        var slot = _slots.GetOrAdd(silo, _ => new PeerSlot());
        lock (slot)
        {
            if (slot.Open is { IsClosed: false } open)
            {
                return Task.FromResult(open);
            }

            if (slot.Dial is not { IsCompleted: false })
            {
                slot.Dial = Task.Run(() => DialAsync(silo, slot));
            }

            return slot.Dial;
        }
    }

    /// <summary>Decides on a silo's Hello; when accepting, installs and starts the connection with the ack as its first frame.</summary>
    public HelloAck Accept(Hello hello, Connection connection)
    {
        var peer = hello.Silo!;
        var local = localSilo();
        if (_stopped)
        {
            return HelloAck.Reject(RejectCode.Unavailable, $"silo {local} is stopping");
        }

        if (peer.Equals(local))
        {
            return HelloAck.Reject(RejectCode.Duplicate, $"silo {local} does not connect to itself");
        }

        if (isDead(peer))
        {
            return HelloAck.Reject(RejectCode.DeclaredDead, $"silo {peer} was declared dead by cluster {clusterId}");
        }

        var slot = _slots.GetOrAdd(peer, _ => new PeerSlot());
        lock (slot)
        {
            var ownDial = slot.Dial is { IsCompleted: false } || slot.Open is { IsClosed: false, IsOutbound: true };
            if (ownDial && local.CompareTo(peer) < 0)
            {
                return HelloAck.Reject(RejectCode.Duplicate, $"silos {local} and {peer} dialed each other; the connection from {local} is kept");
            }

            slot.Open?.Close($"replaced by a new connection from {peer}", CloseKind.Local);
            var ack = HelloAck.Accept(local, siloName);
            Install(slot, peer, connection, ack);
            return ack;
        }
    }

    /// <summary>Forgets the connection when it closes.</summary>
    public void OnClosed(Connection connection)
    {
        if (connection.Peer is SiloAddress peer && _slots.TryGetValue(peer, out var slot))
        {
            lock (slot)
            {
                if (ReferenceEquals(slot.Open, connection))
                {
                    slot.Open = null;
                }
            }
        }
    }

    /// <summary>Closes and forgets the connection to a silo that is gone.</summary>
    public void Disconnect(SiloAddress silo, string reason)
    {
        if (_slots.TryRemove(silo, out var slot))
        {
            Connection? open;
            lock (slot)
            {
                open = slot.Open;
                slot.Open = null;
            }

            open?.Close(reason, CloseKind.Local);
        }
    }

    /// <summary>Closes every connection; no new one is made or accepted.</summary>
    public void CloseAll(string reason)
    {
        _stopped = true;
        foreach (var silo in _slots.Keys.ToList())
        {
            Disconnect(silo, reason);
        }
    }

    private async Task<Connection> DialAsync(SiloAddress silo, PeerSlot slot)
    {
        var hello = new Hello(Hello.CurrentVersion, ConnectionRole.Silo, clusterId, localSilo(), siloName);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await DialOnceAsync(silo, slot, hello).ConfigureAwait(false);
            }
            catch (ConnectionRejectedException exception) when (exception.Code == RejectCode.Duplicate)
            {
                // The peer's own connection wins the tie-break and arrives here as an accepted one.
                // If it does not (the peer still held a connection this silo had just closed), dial again.
                Task<Connection> installed;
                lock (slot)
                {
                    if (slot.Open is { IsClosed: false } open)
                    {
                        return open;
                    }

                    installed = (slot.NextInstall ??= new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }

                try
                {
                    return await installed.WaitAsync(options.HandshakeTimeout / 4, options.TimeProvider).ConfigureAwait(false);
                }
                catch (TimeoutException) when (attempt < MaxDuplicateRetries)
                {
                }
                catch (TimeoutException)
                {
                    throw new SiloUnavailableException($"Silo {silo} refused this silo's connection {attempt} times in favour of its own, which did not arrive.");
                }
            }
            catch (Exception exception) when (exception is ConnectionFailedException or ConnectionRejectedException)
            {
                throw new SiloUnavailableException($"Silo {silo} is unavailable: {exception.Message}");
            }
        }
    }

    private async Task<Connection> DialOnceAsync(SiloAddress silo, PeerSlot slot, Hello hello)
    {
        var (connection, ack) = await Handshake.DialAsync(silo.Endpoint, hello, options, logger, CancellationToken.None).ConfigureAwait(false);
        if (!silo.Equals(ack.Silo))
        {
            connection.Close($"expected silo {silo} but found {ack.Silo}", CloseKind.Local);
            throw new SiloUnavailableException($"Silo {silo} is gone: {silo.Endpoint} is now silo {ack.Silo}.");
        }

        lock (slot)
        {
            if (slot.Open is { IsClosed: false } existing)
            {
                connection.Close($"a connection to {silo} was accepted meanwhile", CloseKind.Local);
                return existing;
            }

            Install(slot, silo, connection, firstFrame: null);
            return connection;
        }
    }

    /// <summary>Makes <paramref name="connection"/> the slot's connection and starts it. Called under the slot's lock.</summary>
    private void Install(PeerSlot slot, SiloAddress peer, Connection connection, HelloAck? firstFrame)
    {
        connection.Peer = peer;
        connection.Role = ConnectionRole.Silo;
        slot.Open = connection;
        connection.Start(handler, firstFrame);
        slot.NextInstall?.TrySetResult(connection);
        slot.NextInstall = null;
    }

    private sealed class PeerSlot
    {
        public Connection? Open;
        public Task<Connection>? Dial;
        public TaskCompletionSource<Connection>? NextInstall;
    }
}
