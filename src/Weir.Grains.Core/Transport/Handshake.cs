using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Weir.Grains.Wire;

namespace Weir.Grains.Transport;

/// <summary>
/// The two ends of the versioned handshake. The dialer sends the preamble and a
/// <see cref="Hello"/>; the acceptor reads at most <see cref="Hello.MaxBytes"/> within the
/// handshake timeout, lets its caller decide, and answers with a <see cref="HelloAck"/>. A
/// refusal (wrong cluster id, version, port) is sent to the dialer, logged with its reason, and
/// the connection closed; garbage instead of a Hello just closes it with the logged reason.
/// </summary>
internal static class Handshake
{
    /// <summary>Connects, introduces itself and returns the connection (not yet started) with the acceptor's answer.</summary>
    /// <exception cref="ConnectionFailedException">Connecting or the handshake failed.</exception>
    /// <exception cref="ConnectionRejectedException">The acceptor refused.</exception>
    public static async Task<(Connection Connection, HelloAck Ack)> DialAsync(IPEndPoint endpoint, Hello hello, ConnectionOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var connection = await Connection.ConnectAsync(endpoint, options, logger, cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.WriteHandshakeAsync(FrameType.Hello, hello.Write, cancellationToken).ConfigureAwait(false);
            var payload = await connection.ReadHandshakeAsync(FrameType.HelloAck, options.MaxFrameBytes, cancellationToken).ConfigureAwait(false);
            HelloAck ack;
            try
            {
                ack = HelloAck.Read(payload);
            }
            catch (Serialization.SerializationException exception)
            {
                throw new ConnectionFailedException($"a malformed HelloAck from {endpoint}: {exception.Message}", exception);
            }

            if (!ack.Accepted)
            {
                connection.Close($"refused by {endpoint}: {ack.Reason}", CloseKind.Remote);
                throw new ConnectionRejectedException(ack.Rejection, $"{endpoint} refused the connection: {ack.Reason}");
            }

            connection.Peer = (object?)ack.Silo ?? endpoint;
            return (connection, ack);
        }
        catch (ConnectionFailedException exception)
        {
            connection.Close(exception.Message, CloseKind.Remote);
            throw new ConnectionFailedException($"Handshake with {endpoint} failed: {exception.Message}", exception);
        }
        catch (Exception exception) when (exception is not ConnectionRejectedException)
        {
            connection.Close($"handshake failed: {exception.Message}", CloseKind.Local);
            throw new ConnectionFailedException($"Handshake with {endpoint} failed: {exception.Message}", exception);
        }
    }

    /// <summary>
    /// Reads a dialer's Hello from a freshly accepted socket and lets <paramref name="decide"/>
    /// answer. To accept, the decider starts the connection with its ack
    /// (<see cref="Connection.Start"/>), so it can publish the connection atomically with the
    /// decision; a refusal is written here, logged with its reason, and the connection closed.
    /// Never throws: a broken or refused handshake ends with the connection closed.
    /// </summary>
    public static async Task AcceptAsync(
        Socket socket, ConnectionOptions options, Func<Hello, Connection, HelloAck> decide, ILogger logger, CancellationToken cancellationToken)
    {
        var connection = new Connection(socket, options, logger);
        try
        {
            var payload = await connection.ReadHandshakeAsync(FrameType.Hello, Hello.MaxBytes, cancellationToken).ConfigureAwait(false);
            Hello hello;
            try
            {
                hello = Hello.Read(payload);
            }
            catch (Serialization.SerializationException exception)
            {
                throw new ConnectionFailedException($"a malformed Hello: {exception.Message}");
            }

            connection.Role = hello.Role;
            connection.Peer = (object?)hello.Silo ?? $"client {hello.Name}";
            var ack = decide(hello, connection);
            if (ack.Accepted)
            {
                return;
            }

            TransportLog.Rejected(logger, connection.RemoteEndPoint, ack.Reason);
            await connection.WriteHandshakeAsync(FrameType.HelloAck, ack.Write, cancellationToken).ConfigureAwait(false);
            connection.Close(ack.Reason, CloseKind.Local);
        }
        catch (ConnectionFailedException exception)
        {
            connection.Close(exception.Message, CloseKind.ProtocolViolation);
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            connection.Close($"the handshake failed: {exception.Message}", CloseKind.Remote);
        }
        catch (Exception exception)
        {
            TransportLog.HandlerFailed(logger, exception, connection.ToString());
            connection.Close($"accepting the connection failed: {exception.GetType().Name}: {exception.Message}", CloseKind.Local);
        }
    }
}
