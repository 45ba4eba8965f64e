using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Weir.Grains.Wire;
using Weir.Serialization;

namespace Weir.Grains.Transport;

/// <summary>What a connection hands its frames to.</summary>
internal interface IConnectionHandler
{
    /// <summary>
    /// Handles one frame, on the connection's receive loop: keep it short, copy what outlives
    /// the call. A <see cref="SerializationException"/> or <see cref="ProtocolViolationException"/>
    /// closes the connection as a protocol violation.
    /// </summary>
    void OnFrame(Connection connection, FrameType type, ReadOnlySpan<byte> payload);

    /// <summary>The connection closed (once).</summary>
    void OnClosed(Connection connection, string reason);
}

/// <summary>
/// One TCP connection carrying length-prefixed frames, on System.IO.Pipelines.
///
/// Receiving: one loop reads the socket through a <see cref="PipeReader"/>, cuts frames
/// (<see cref="Frames.TryRead"/>) and hands each to the handler. A length prefix over the cap,
/// an unknown frame type or a frame the handler cannot decode closes the connection with a
/// logged reason, before more of it is buffered. Sending: any thread encodes a whole frame into
/// a thread-local scratch buffer and appends it, under a lock, to the outbox; one loop swaps the
/// outbox for an empty one and writes it to the <see cref="PipeWriter"/>. So frames from one
/// thread go out in the order they were sent, frames are never interleaved, and a burst of
/// small frames becomes one write.
/// </summary>
internal sealed class Connection
{
    private const int ScratchKeepBytes = 1 << 20;

    [ThreadStatic]
    private static DataWriter? t_scratch;

    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly ConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly object _outboxLock = new();
    private readonly SemaphoreSlim _outboxReady = new(0);
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DataWriter _pending = new(4096);
    private DataWriter _sending = new(4096);
    private bool _sendScheduled;
    private int _requestsInFlight;
    private bool _isClosed;
    private IConnectionHandler? _handler;

    public Connection(Socket socket, ConnectionOptions options, ILogger logger)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _options = options;
        _logger = logger;
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
        LocalEndPoint = socket.LocalEndPoint as IPEndPoint;
        var stream = new NetworkStream(socket, ownsSocket: false);
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));
    }

    public IPEndPoint? RemoteEndPoint { get; }

    public IPEndPoint? LocalEndPoint { get; }

    /// <summary>Who is at the other end, once the handshake told: a <see cref="SiloAddress"/> or a client's name.</summary>
    public object? Peer { get; set; }

    public ConnectionOptions Options => _options;

    /// <summary>What the peer is: another silo or a grain client.</summary>
    public ConnectionRole Role { get; set; }

    /// <summary>True if this side dialed the connection; false if it accepted it.</summary>
    public bool IsOutbound { get; private init; }

    /// <summary>Calls from the peer that this side has not answered yet.</summary>
    public int RequestsInFlight => Volatile.Read(ref _requestsInFlight);

    /// <summary>
    /// True once <see cref="Close"/> ran. Read without the outbox lock: the receive loop asks after
    /// every frame and callers before every send, and the flag only ever goes from false to true
    /// (set under the lock, which <see cref="TrySend"/> checks again).
    /// </summary>
    public bool IsClosed => Volatile.Read(ref _isClosed);

    /// <summary>Completes with the reason when the connection closes.</summary>
    public Task<string> Closed => _closed.Task;

    public static async Task<Connection> ConnectAsync(IPEndPoint endpoint, ConnectionOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await socket.ConnectAsync(endpoint, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new ConnectionFailedException($"Connecting to {endpoint} took longer than {options.ConnectTimeout.TotalMilliseconds:0} ms.");
        }
        catch (SocketException exception)
        {
            socket.Dispose();
            throw new ConnectionFailedException($"Connecting to {endpoint} failed: {exception.SocketErrorCode}.", exception);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new Connection(socket, options, logger) { IsOutbound = true };
    }

    /// <summary>Writes the preamble and one handshake frame, directly (before <see cref="Start"/>).</summary>
    public async Task WriteHandshakeAsync(FrameType type, Action<DataWriter> write, CancellationToken cancellationToken)
    {
        var writer = new DataWriter(256);
        WriteHandshake(writer, type, write);
        await _output.WriteAsync(writer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the peer's preamble and its handshake frame of type <paramref name="expected"/>, at
    /// most <paramref name="maxBytes"/> long, within the handshake timeout. Anything else throws
    /// <see cref="ConnectionFailedException"/> with the reason; bytes after the frame stay buffered.
    /// </summary>
    public async Task<byte[]> ReadHandshakeAsync(FrameType expected, int maxBytes, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _input.ReadAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new ConnectionFailedException($"no {expected} within the handshake timeout of {_options.HandshakeTimeout.TotalMilliseconds:0} ms");
            }
            catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException)
            {
                throw new ConnectionFailedException($"the connection failed during the handshake: {exception.Message}", exception);
            }

            var buffer = result.Buffer;
            if (!StartsLikePreamble(buffer))
            {
                var sample = buffer.Slice(0, Math.Min(buffer.Length, 16)).ToArray();
                throw new ConnectionFailedException($"garbage instead of the preamble 'WEIR': {Convert.ToHexString(sample)}");
            }

            if (buffer.Length > Frames.Preamble.Length)
            {
                var rest = buffer.Slice(Frames.Preamble.Length);
                switch (Frames.TryRead(ref rest, maxBytes, out var type, out var payload, out var declared))
                {
                    case FrameParse.BadLength:
                        throw new ConnectionFailedException($"a handshake frame length of {declared} bytes (the handshake allows 1 to {maxBytes})");
                    case FrameParse.Frame when type != (byte)expected:
                        throw new ConnectionFailedException($"frame type {type} where {expected} was expected");
                    case FrameParse.Frame:
                        var bytes = payload.ToArray();
                        _input.AdvanceTo(rest.Start);
                        return bytes;
                }
            }

            if (result.IsCompleted)
            {
                throw new ConnectionFailedException("the peer closed the connection during the handshake");
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Starts the receive and send loops; frames go to <paramref name="handler"/>. An acceptor
    /// passes its <paramref name="ack"/>: it goes out first (after the preamble), ahead of any
    /// frame sent once the connection is visible to other threads.
    /// </summary>
    public void Start(IConnectionHandler handler, HelloAck? ack = null)
    {
        _handler = handler;
        if (ack is not null)
        {
            lock (_outboxLock)
            {
                WriteHandshake(_pending, FrameType.HelloAck, ack.Write);
                _sendScheduled = true;
            }

            _outboxReady.Release();
        }

        TransportLog.Established(_logger, ToString());
        _ = Task.Run(ReceiveLoopAsync);
        _ = Task.Run(SendLoopAsync);
    }

    /// <summary>
    /// Queues one frame, encoded by <paramref name="write"/> on this thread. False if the
    /// connection is closed. Throws if the frame exceeds the frame cap (nothing is sent).
    /// </summary>
    public bool TrySend<TState>(FrameType type, TState state, Action<DataWriter, TState> write)
    {
        var scratch = t_scratch ??= new DataWriter(4096);
        scratch.Reset();
        var start = Frames.Begin(scratch, type);
        write(scratch, state);
        var length = Frames.End(scratch, start);
        if (scratch.Length > ScratchKeepBytes)
        {
            t_scratch = null;
        }

        if (length > _options.MaxFrameBytes)
        {
            throw new InvalidOperationException(
                $"A {type} frame of {length} bytes exceeds the frame cap of {_options.MaxFrameBytes} bytes (Cluster.MaxFrameBytes); it was not sent to {this}.");
        }

        bool signal;
        bool overflow;
        lock (_outboxLock)
        {
            if (_isClosed)
            {
                return false;
            }

            overflow = _pending.Length + (long)scratch.Length > _options.MaxOutboxBytes;
            if (!overflow)
            {
                _pending.WriteRaw(scratch.WrittenSpan);
            }

            signal = !overflow && !_sendScheduled;
            _sendScheduled |= signal;
        }

        if (overflow)
        {
            Close($"more than {_options.MaxOutboxBytes} bytes are waiting to be sent: the peer does not read", CloseKind.Local);
            return false;
        }

        if (signal)
        {
            _outboxReady.Release();
        }

        return true;
    }

    /// <summary>Counts a call from the peer, unless <paramref name="limit"/> are unanswered already: what one peer can queue here is bounded.</summary>
    public bool TryBeginRequest(int limit)
    {
        if (Interlocked.Increment(ref _requestsInFlight) <= limit)
        {
            return true;
        }

        Interlocked.Decrement(ref _requestsInFlight);
        return false;
    }

    /// <summary>A call counted by <see cref="TryBeginRequest"/> was answered.</summary>
    public void EndRequest() => Interlocked.Decrement(ref _requestsInFlight);

    /// <summary>Closes the connection (once): the socket, both loops, then the handler hears of it.</summary>
    public void Close(string reason, CloseKind kind)
    {
        lock (_outboxLock)
        {
            if (_isClosed)
            {
                return;
            }

            _isClosed = true;
        }

        switch (kind)
        {
            case CloseKind.ProtocolViolation:
                TransportLog.ClosedOnViolation(_logger, ToString(), reason);
                break;
            case CloseKind.Remote:
                TransportLog.ClosedByPeer(_logger, ToString(), reason);
                break;
            default:
                TransportLog.ClosedLocally(_logger, ToString(), reason);
                break;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Already reset by the peer.
        }

        _socket.Dispose();
        _outboxReady.Release();
        _input.CancelPendingRead();
        _closed.TrySetResult(reason);
        _handler?.OnClosed(this, reason);
    }

    public override string ToString() => Peer is null ? $"(unidentified) at {RemoteEndPoint}" : $"{Peer} at {RemoteEndPoint}";

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    return;
                }

                var buffer = result.Buffer;
                while (true)
                {
                    var parse = Frames.TryRead(ref buffer, _options.MaxFrameBytes, out var type, out var payload, out var declared);
                    if (parse == FrameParse.Incomplete)
                    {
                        break;
                    }

                    if (parse == FrameParse.BadLength)
                    {
                        Close(declared < 1
                            ? $"garbage: a frame length of {declared}"
                            : $"a frame of {declared} bytes exceeds the frame cap of {_options.MaxFrameBytes} bytes", CloseKind.ProtocolViolation);
                        return;
                    }

                    if (!FrameTypes.IsKnown(type))
                    {
                        Close($"garbage: unknown frame type {type}", CloseKind.ProtocolViolation);
                        return;
                    }

                    if (!Dispatch((FrameType)type, payload))
                    {
                        return;
                    }
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    Close("the peer closed the connection", CloseKind.Remote);
                    return;
                }
            }
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Close($"receiving failed: {exception.GetBaseException().Message}", CloseKind.Remote);
        }
        finally
        {
            await CompleteQuietly(_input.CompleteAsync()).ConfigureAwait(false);
        }
    }

    private bool Dispatch(FrameType type, ReadOnlySequence<byte> payload)
    {
        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> span;
            if (payload.IsSingleSegment)
            {
                span = payload.FirstSpan;
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent((int)payload.Length);
                payload.CopyTo(rented);
                span = rented.AsSpan(0, (int)payload.Length);
            }

            _handler!.OnFrame(this, type, span);
        }
        catch (SerializationException exception)
        {
            Close($"a malformed {type} frame: {exception.Message}", CloseKind.ProtocolViolation);
        }
        catch (ProtocolViolationException exception)
        {
            Close(exception.Message, CloseKind.ProtocolViolation);
        }
        catch (Exception exception)
        {
            TransportLog.HandlerFailed(_logger, exception, ToString());
            Close($"handling a {type} frame failed: {exception.GetType().Name}: {exception.Message}", CloseKind.Local);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        return !IsClosed;
    }

    private async Task SendLoopAsync()
    {
        try
        {
            while (true)
            {
                await _outboxReady.WaitAsync().ConfigureAwait(false);
                DataWriter batch;
                lock (_outboxLock)
                {
                    if (_isClosed)
                    {
                        return;
                    }

                    batch = _pending;
                    _pending = _sending;
                    _sending = batch;
                    _sendScheduled = false;
                }

                if (batch.Length == 0)
                {
                    continue;
                }

                var flush = await _output.WriteAsync(batch.WrittenMemory).ConfigureAwait(false);
                batch.Reset();
                if (flush.IsCompleted)
                {
                    Close("the peer stopped receiving", CloseKind.Remote);
                    return;
                }
            }
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Close($"sending failed: {exception.GetBaseException().Message}", CloseKind.Remote);
        }
        finally
        {
            await CompleteQuietly(_output.CompleteAsync()).ConfigureAwait(false);
        }
    }

    /// <summary>The preamble and one handshake frame: what each side sends first.</summary>
    private static void WriteHandshake(DataWriter writer, FrameType type, Action<DataWriter> write)
    {
        writer.WriteRaw(Frames.Preamble);
        var start = Frames.Begin(writer, type);
        write(writer);
        Frames.End(writer, start);
    }

    /// <summary>Whether the bytes received so far (perhaps fewer than 4) agree with the preamble.</summary>
    private static bool StartsLikePreamble(ReadOnlySequence<byte> buffer)
    {
        var seen = (int)Math.Min(buffer.Length, Frames.Preamble.Length);
        Span<byte> head = stackalloc byte[Frames.Preamble.Length];
        buffer.Slice(0, seen).CopyTo(head);
        return head[..seen].SequenceEqual(Frames.Preamble[..seen]);
    }

    private static async Task CompleteQuietly(ValueTask completion)
    {
        try
        {
            await completion.ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The socket is gone; what was not sent is lost with it.
        }
    }
}
