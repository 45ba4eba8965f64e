using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weir.Grains;
using Weir.Grains.Invocation;
using Weir.Grains.Transport;
using Weir.Grains.Wire;

namespace Weir.Client;

/// <summary>
/// A grain client (Orleans's cluster client): calls grains of a Weir cluster from another
/// process through one silo's gateway port. <see cref="ConnectAsync"/> tries the known gateways
/// (configured, read from the membership table, and those the cluster announced) until one
/// accepts; references from <see cref="GetGrain{TGrainInterface}(string)"/> then send every call
/// there, and the gateway runs it or forwards it to the silo that owns the grain. When the
/// gateway dies, the calls waiting on it fail at once with <see cref="SiloUnavailableException"/>,
/// the client reconnects to another gateway in the background, and calls made meanwhile wait
/// for it (within their timeout).
/// </summary>
public sealed class WeirClient : IGrainFactory, IAsyncDisposable
{
    private readonly WeirClientOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ConnectionOptions _connectionOptions;
    /// <summary>Calls sent and not yet answered.</summary>
    internal PendingCalls Pending { get; } = new();

    private readonly ClientConnectionHandler _handler;
    private readonly CancellationTokenSource _disposed = new();
    private readonly object _lock = new();
    private readonly ITimer _sweep;
    private List<IPEndPoint> _announcedGateways = [];
    private TaskCompletionSource<Connection> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Connection? _connection;
    private IReadOnlyDictionary<string, string> _grainTypes = new Dictionary<string, string>();
    private bool _reconnecting;

    /// <summary>Creates a client; call <see cref="ConnectAsync"/> before the first grain call.</summary>
    /// <exception cref="ArgumentException">An option is not valid; the message names it, its value and what is allowed.</exception>
    public WeirClient(WeirClientOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _clock = timeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Weir.Client");
        _connectionOptions = new ConnectionOptions
        {
            MaxFrameBytes = options.MaxFrameBytes,
            ConnectTimeout = options.ConnectTimeout,
            HandshakeTimeout = options.HandshakeTimeout,
            TimeProvider = _clock,
        };
        _handler = new ClientConnectionHandler(this);
        var sweep = CallTimeoutSweep(options.ResponseTimeout);
        _sweep = _clock.CreateTimer(_ => Pending.Expire(_clock.GetTimestamp()), null, sweep, sweep);
    }

    /// <summary>True while a gateway connection is open.</summary>
    public bool IsConnected => _connection is { IsClosed: false };

    /// <summary>The gateway the client is connected to, or null.</summary>
    public IPEndPoint? Gateway => _connection is { IsClosed: false } connection ? connection.RemoteEndPoint : null;

    /// <summary>The silo behind the current gateway, or null.</summary>
    public SiloAddress? GatewaySilo { get; private set; }

    /// <summary>The gateways the cluster announced (for tests and diagnostics).</summary>
    internal IReadOnlyList<IPEndPoint> AnnouncedGateways
    {
        get
        {
            lock (_lock)
            {
                return [.. _announcedGateways];
            }
        }
    }

    /// <summary>Connects to the first gateway that accepts.</summary>
    /// <exception cref="SiloUnavailableException">No known gateway accepted; the message lists each one's failure.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        if (IsConnected)
        {
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        var failures = await TryConnectOnceAsync(exclude: null, linked.Token).ConfigureAwait(false);
        if (failures is not null)
        {
            throw new SiloUnavailableException($"No gateway of cluster '{_options.ClusterId}' accepted the client: {failures}");
        }
    }

    /// <inheritdoc />
    public TGrainInterface GetGrain<TGrainInterface>(string key)
        where TGrainInterface : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(key);
        return ClientGrainReference.Create<TGrainInterface>(this, new GrainId(GrainTypeOf(typeof(TGrainInterface)), key));
    }

    /// <inheritdoc />
    public TGrainInterface GetGrain<TGrainInterface>(long key)
        where TGrainInterface : IGrainWithIntegerKey =>
        ClientGrainReference.Create<TGrainInterface>(this, new GrainId(GrainTypeOf(typeof(TGrainInterface)), key.ToString(CultureInfo.InvariantCulture)));

    /// <inheritdoc />
    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId)
        where TGrainInterface : IGrain => ClientGrainReference.Create<TGrainInterface>(this, grainId);

    /// <summary>Closes the connection; calls still waiting fail with <see cref="SiloUnavailableException"/>, later ones with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync().ConfigureAwait(false);
        await _sweep.DisposeAsync().ConfigureAwait(false);
        Connection? connection;
        lock (_lock)
        {
            connection = _connection;
            _connected.TrySetException(new ObjectDisposedException(nameof(WeirClient)));
        }

        connection?.Close("the client was disposed", CloseKind.Local);
    }

    /// <summary>Sends a call, now if connected, else once reconnected (within the call's timeout).</summary>
    internal void Send(GrainId target, GrainMethod method, object?[] arguments, ICallCompletion completion)
    {
        var timeout = method.Timeout ?? _options.ResponseTimeout;
        var deadline = _clock.GetTimestamp() + (long)(timeout.TotalSeconds * _clock.TimestampFrequency);
        var connection = _connection;
        if (connection is { IsClosed: false })
        {
            SendOn(connection, target, method, arguments, completion, deadline, timeout);
        }
        else
        {
            _ = SendWhenConnectedAsync(target, method, arguments, completion, deadline, timeout);
        }
    }

    private async Task SendWhenConnectedAsync(GrainId target, GrainMethod method, object?[] arguments, ICallCompletion completion, long deadline, TimeSpan timeout)
    {
        if (_disposed.IsCancellationRequested)
        {
            completion.OnFailure(new ObjectDisposedException(nameof(WeirClient)));
            return;
        }

        Task<Connection> connected;
        lock (_lock)
        {
            connected = _connected.Task;
        }

        if (!connected.IsCompleted && !_reconnecting && GatewaySilo is null)
        {
            completion.OnFailure(new InvalidOperationException("The client is not connected: call ConnectAsync first."));
            return;
        }

        Connection connection;
        try
        {
            var remaining = _clock.GetElapsedTime(_clock.GetTimestamp(), deadline);
            connection = await connected.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _clock).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            completion.OnFailure(new SiloUnavailableException(
                $"No gateway of cluster '{_options.ClusterId}' was reachable within {timeout.TotalMilliseconds:0} ms: the call {method.DisplayName} to grain {target} was not sent."));
            return;
        }
        catch (Exception exception)
        {
            completion.OnFailure(exception);
            return;
        }

        SendOn(connection, target, method, arguments, completion, deadline, timeout);
    }

    private void SendOn(Connection connection, GrainId target, GrainMethod method, object?[] arguments, ICallCompletion completion, long deadline, TimeSpan timeout)
    {
        var remaining = _clock.GetElapsedTime(_clock.GetTimestamp(), deadline);
        var header = new RequestHeader(0, target, method.Id, RequestHeader.ToMilliseconds(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1)), 0);
        Pending.Send(new ClientCall(deadline, connection, completion, target, method, timeout), header, (method, arguments), static (writer, state) => state.method.WriteArguments(writer, state.arguments));
    }

    private string GrainTypeOf(Type grainInterface)
    {
        var map = _grainTypes;
        if (map.TryGetValue(grainInterface.ToString(), out var grainType))
        {
            return grainType;
        }

        throw new InvalidOperationException(GatewaySilo is null
            ? $"The client is not connected: call ConnectAsync before GetGrain<{grainInterface.Name}>."
            : $"Grain interface {grainInterface} has no single implementation in cluster '{_options.ClusterId}' (gateway {GatewaySilo} knows {map.Count} interfaces): is its grain class added to the silos?");
    }

    /// <summary>Tries each candidate gateway once; null when connected, else what went wrong with each.</summary>
    private async Task<string?> TryConnectOnceAsync(IPEndPoint? exclude, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var candidate in await CandidatesAsync(exclude, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var hello = new Hello(Hello.CurrentVersion, ConnectionRole.Client, _options.ClusterId, null, _options.ClientName);
                var (connection, ack) = await Handshake.DialAsync(candidate, hello, _connectionOptions, _logger, cancellationToken).ConfigureAwait(false);
                Install(connection, ack);
                return null;
            }
            catch (Exception exception) when (exception is ConnectionFailedException or ConnectionRejectedException)
            {
                ClientLog.AttemptFailed(_logger, candidate.ToString(), exception.Message);
                failures.Add(exception.Message);
            }
        }

        return failures.Count == 0 ? "no gateway is known" : string.Join("; ", failures);
    }

    private async Task<List<IPEndPoint>> CandidatesAsync(IPEndPoint? exclude, CancellationToken cancellationToken)
    {
        var candidates = new List<IPEndPoint>();
        lock (_lock)
        {
            candidates.AddRange(_announcedGateways);
        }

        foreach (var gateway in _options.Gateways)
        {
            if (GatewayAddress.TryParse(gateway, out var address))
            {
                try
                {
                    candidates.AddRange(await address.Value.ResolveAsync(cancellationToken).ConfigureAwait(false));
                }
                catch (Exception exception) when (exception is System.Net.Sockets.SocketException or ArgumentException)
                {
                    ClientLog.AttemptFailed(_logger, gateway, exception.Message);
                }
            }
        }

        if (_options.MembershipTable is { } table)
        {
            try
            {
                candidates.AddRange((await table.ReadAllAsync(cancellationToken).ConfigureAwait(false)).ActiveGateways);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                ClientLog.TableReadFailed(_logger, exception);
            }
        }

        // The lost gateway goes last: it may be back, but another is likelier to answer.
        var distinct = candidates.Distinct().ToList();
        if (exclude is not null && distinct.Remove(exclude))
        {
            distinct.Add(exclude);
        }

        return distinct;
    }

    private void Install(Connection connection, HelloAck ack)
    {
        connection.Role = ConnectionRole.Silo;
        lock (_lock)
        {
            _grainTypes = ack.GrainInterfaces.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            if (ack.Gateways.Count > 0)
            {
                _announcedGateways = [.. ack.Gateways];
            }

            GatewaySilo = ack.Silo;
            _connection = connection;
            connection.Start(_handler);
            _connected.TrySetResult(connection);
        }

        ClientLog.Connected(_logger, connection.RemoteEndPoint!, ack.Silo!, _options.ClusterId);
    }

    /// <summary>The gateway connection closed: fail what waited on it, and reconnect.</summary>
    internal void OnClosed(Connection connection, string reason)
    {
        Pending.FailConnection(connection, call => new SiloUnavailableException(
            $"The gateway {connection.RemoteEndPoint} (silo {connection.Peer}) was lost ({reason}) before {call.Describe()} was answered."));
        lock (_lock)
        {
            if (!ReferenceEquals(_connection, connection) || _disposed.IsCancellationRequested)
            {
                return;
            }

            _connection = null;
            if (_connected.Task.IsCompleted)
            {
                _connected = new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            _reconnecting = true;
        }

        ClientLog.Lost(_logger, connection.RemoteEndPoint, reason);
        _ = Task.Run(() => ReconnectAsync(connection.RemoteEndPoint));
    }

    private async Task ReconnectAsync(IPEndPoint? lost)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (!_disposed.IsCancellationRequested)
        {
            string? failures;
            try
            {
                failures = await TryConnectOnceAsync(lost, _disposed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (failures is null)
            {
                lock (_lock)
                {
                    _reconnecting = false;
                }

                return;
            }

            try
            {
                await Task.Delay(delay, _clock, _disposed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
        }
    }

    /// <summary>The gateway announced the cluster's gateways.</summary>
    internal void OnGatewaysChanged(List<IPEndPoint> gateways)
    {
        lock (_lock)
        {
            _announcedGateways = gateways;
        }
    }

    private static TimeSpan CallTimeoutSweep(TimeSpan responseTimeout) =>
        TimeSpan.FromTicks(Math.Clamp(responseTimeout.Ticks / 10, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
}
