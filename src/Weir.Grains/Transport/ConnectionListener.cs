using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Weir.Grains.Wire;

namespace Weir.Grains.Transport;

/// <summary>
/// Accepts TCP connections on one port and runs the acceptor's handshake on each. At most
/// <see cref="MaxPendingHandshakes"/> handshakes run at once (each bounded by the handshake
/// timeout); connections beyond that are closed at once, so a flood of idle sockets cannot
/// exhaust the silo.
/// </summary>
internal sealed class ConnectionListener : IAsyncDisposable
{
    public const int MaxPendingHandshakes = 128;

    private readonly Socket _socket;
    private readonly ConnectionOptions _options;
    private readonly Func<Hello, Connection, HelloAck> _decide;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private int _pendingHandshakes;
    private Task _acceptLoop = Task.CompletedTask;

    public ConnectionListener(IPEndPoint endpoint, ConnectionOptions options, Func<Hello, Connection, HelloAck> decide, ILogger logger)
    {
        _options = options;
        _decide = decide;
        _logger = logger;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _socket.Bind(endpoint);
            _socket.Listen(512);
        }
        catch (SocketException exception)
        {
            _socket.Dispose();
            throw new InvalidOperationException($"Cannot listen on {endpoint}: {exception.SocketErrorCode} ({exception.Message}).", exception);
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <summary>The bound endpoint (with the actual port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    public void Start() => _acceptLoop = Task.Run(AcceptLoopAsync);

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _stopping.Cancel();
        _socket.Dispose();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException exception)
            {
                TransportLog.AcceptFailed(_logger, exception, LocalEndPoint);
                continue;
            }

            if (Interlocked.Increment(ref _pendingHandshakes) > MaxPendingHandshakes)
            {
                Interlocked.Decrement(ref _pendingHandshakes);
                TransportLog.Rejected(_logger, socket.RemoteEndPoint as IPEndPoint, $"more than {MaxPendingHandshakes} handshakes are in progress");
                socket.Dispose();
                continue;
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    await Handshake.AcceptAsync(socket, _options, _decide, _logger, _stopping.Token).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _pendingHandshakes);
                }
            });
        }
    }
}
