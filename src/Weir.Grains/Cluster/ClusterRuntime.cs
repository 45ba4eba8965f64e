using System.Net;
using Microsoft.Extensions.Logging;
using Weir.Grains.Activation;
using Weir.Grains.Channels;
using Weir.Grains.Hosting;
using Weir.Grains.Invocation;
using Weir.Grains.Membership;
using Weir.Grains.Transport;
using Weir.Grains.Wire;

namespace Weir.Grains.Cluster;

/// <summary>
/// The cluster half of a silo: its listeners (silo port, gateway port), its connections to
/// other silos, the membership agent and the health monitor, and the reactions to membership
/// changes. Start: bind the ports, join the table, start heartbeats, refreshes and probes.
/// Each new membership snapshot rebuilds the placement ring (deactivating grains this silo no
/// longer owns), closes connections to dead silos (failing their pending calls at once) and
/// tells clients the gateways. Stop: ShuttingDown (the others route around this silo while its
/// grains deactivate), then Dead, then close everything. A silo that finds itself declared
/// dead stops serving at once and asks its host to stop.
/// </summary>
internal sealed class ClusterRuntime
{
    private static long s_lastGeneration;
    private readonly ClusterOptions _options;
    private readonly ConnectionOptions _connectionOptions;
    private readonly ILogger _transportLogger;
    private readonly Action _stopHost;
    private ConnectionListener? _siloListener;
    private ConnectionListener? _gatewayListener;
    private volatile bool _stopped;

    public ClusterRuntime(GrainRuntime runtime, IMembershipTable table, string tableLocation, ILoggerFactory loggerFactory, Action stopHost)
    {
        Runtime = runtime;
        _options = runtime.Options.Cluster;
        ClusterId = _options.ClusterId!;
        _stopHost = stopHost;
        _connectionOptions = _options.ToConnectionOptions(runtime.TimeProvider);
        _transportLogger = loggerFactory.CreateLogger("Weir.Grains.Transport");
        var membershipLogger = loggerFactory.CreateLogger("Weir.Grains.Membership");
        MessageCenter = new MessageCenter(this);
        Membership = new MembershipAgent(table, _options, tableLocation, runtime.TimeProvider, membershipLogger);
        Connections = new SiloConnections(() => LocalSilo, ClusterId, runtime.Options.SiloName, _connectionOptions, MessageCenter, silo => Membership.Snapshot.IsDead(silo), _transportLogger);
        Calls = new RemoteCallSender(Connections, PendingCalls, runtime.TimeProvider);
        Prober = new TransportProber(Connections);
        HealthMonitor = new SiloHealthMonitor(Membership, Prober, _options, runtime.TimeProvider, membershipLogger);
        Gateway = new Gateway(MessageCenter, () => LocalSilo, runtime.Options.SiloName, () => runtime.Registry.InterfaceMap);
        Membership.SnapshotChanged += OnSnapshotChanged;
        Membership.DeclaredDead += OnDeclaredDead;
        Membership.TableWritten += TellOthersTheTableChanged;
    }

    public GrainRuntime Runtime { get; }

    public string ClusterId { get; }

    public SiloAddress LocalSilo => Runtime.Placement.LocalSilo;

    public IPEndPoint? GatewayEndpoint => _gatewayListener?.LocalEndPoint;

    public PendingCalls PendingCalls { get; } = new();

    public MessageCenter MessageCenter { get; }

    public SiloConnections Connections { get; }

    public RemoteCallSender Calls { get; }

    public TransportProber Prober { get; }

    public MembershipAgent Membership { get; }

    public SiloHealthMonitor HealthMonitor { get; }

    public Gateway Gateway { get; }

    public RemoteChannels Channels => Runtime.Channels;

    /// <summary>True once the silo stopped serving the cluster: stopped, crashed, or declared dead.</summary>
    public bool IsStopped => _stopped;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var address = IPAddress.Parse(_options.AdvertisedAddress);
        _siloListener = new ConnectionListener(new IPEndPoint(address, _options.SiloPort), _connectionOptions, (h, c) => Decide(h, c, ConnectionRole.Silo), _transportLogger);
        if (_options.GatewayPort is { } gatewayPort)
        {
            _gatewayListener = new ConnectionListener(new IPEndPoint(address, gatewayPort), _connectionOptions, (h, c) => Decide(h, c, ConnectionRole.Client), _transportLogger);
        }

        Runtime.Placement.SetLocalSilo(new SiloAddress(_siloListener.LocalEndPoint, NextGeneration(Runtime.TimeProvider)));
        _siloListener.Start();
        try
        {
            await Membership.JoinAsync(LocalSilo, Runtime.Options.SiloName, _gatewayListener?.LocalEndPoint.Port, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await CloseEverythingAsync($"silo {LocalSilo} could not join cluster {ClusterId}").ConfigureAwait(false);
            throw;
        }

        _gatewayListener?.Start();
        Membership.Start();
        HealthMonitor.Start();
    }

    /// <summary>Routes <paramref name="message"/> to the grain's owner if that is another silo; false if it is this one.</summary>
    public bool TryRouteRemote(GrainId grainId, Message message)
    {
        var owner = Runtime.Placement.OwnerOf(grainId);
        if (owner.Equals(LocalSilo) || message.WireMethod is null)
        {
            return false;
        }

        Calls.Send(owner, grainId, message);
        return true;
    }

    /// <summary>First step of a graceful stop: ShuttingDown, so the others stop routing here.</summary>
    public async Task BeginShutdownAsync(CancellationToken cancellationToken)
    {
        if (_stopped)
        {
            return;
        }

        HealthMonitor.Stop();
        await Guarded(() => Membership.UpdateOwnStatusAsync(SiloStatus.ShuttingDown, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Last step of a graceful stop (after the grains deactivated): Dead, then close everything.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_stopped)
        {
            HealthMonitor.Stop();
            await Guarded(() => Membership.UpdateOwnStatusAsync(SiloStatus.Dead, cancellationToken)).ConfigureAwait(false);
        }

        await CloseEverythingAsync($"silo {LocalSilo} stopped").ConfigureAwait(false);
    }

    /// <summary>
    /// Stops abruptly, as a killed process would: closes the ports and every connection without
    /// a word to the membership table. For tests of failure detection.
    /// </summary>
    public Task CrashAsync() => CloseEverythingAsync($"silo {LocalSilo} crashed");

    /// <summary>The start time in ticks, but always later than any earlier silo of this process (a restart on a frozen test clock is still a new generation).</summary>
    private static long NextGeneration(TimeProvider clock)
    {
        while (true)
        {
            var last = Volatile.Read(ref s_lastGeneration);
            var generation = Math.Max(clock.GetUtcNow().UtcTicks, last + 1);
            if (Interlocked.CompareExchange(ref s_lastGeneration, generation, last) == last)
            {
                return generation;
            }
        }
    }

    private async Task CloseEverythingAsync(string reason)
    {
        _stopped = true;
        HealthMonitor.Stop();
        Membership.Stop();
        if (_siloListener is not null)
        {
            await _siloListener.DisposeAsync().ConfigureAwait(false);
        }

        if (_gatewayListener is not null)
        {
            await _gatewayListener.DisposeAsync().ConfigureAwait(false);
        }

        Connections.CloseAll(reason);
        Gateway.CloseAll(reason);
    }

    private HelloAck Decide(Hello hello, Connection connection, ConnectionRole expectedRole)
    {
        if (hello.ProtocolVersion != Hello.CurrentVersion)
        {
            return HelloAck.Reject(RejectCode.VersionMismatch, $"protocol version {hello.ProtocolVersion} is not supported: silo {LocalSilo} speaks version {Hello.CurrentVersion}");
        }

        if (!string.Equals(hello.ClusterId, ClusterId, StringComparison.Ordinal))
        {
            var claimed = hello.ClusterId.Length > 128 ? hello.ClusterId[..128] + "..." : hello.ClusterId;
            return HelloAck.Reject(RejectCode.ClusterMismatch, $"wrong cluster id '{claimed}': silo {LocalSilo} belongs to cluster '{ClusterId}'");
        }

        if (hello.Role != expectedRole)
        {
            return HelloAck.Reject(RejectCode.WrongPort, hello.Role == ConnectionRole.Client
                ? $"a grain client connected to the silo port of {LocalSilo}; clients connect to a gateway port"
                : $"a silo connected to the gateway port of {LocalSilo}; silos connect to the silo port");
        }

        if (_stopped)
        {
            return HelloAck.Reject(RejectCode.Unavailable, $"silo {LocalSilo} is stopping");
        }

        return expectedRole == ConnectionRole.Silo ? Connections.Accept(hello, connection) : Gateway.Accept(hello, connection);
    }

    private void OnSnapshotChanged(MembershipSnapshot snapshot)
    {
        if (Runtime.Placement.Update(snapshot.ActiveSilos))
        {
            DeactivateGrainsOwnedElsewhere();
        }

        foreach (var entry in snapshot.Entries)
        {
            if (entry.Status == SiloStatus.Dead && !entry.SiloAddress.Equals(LocalSilo))
            {
                Connections.Disconnect(entry.SiloAddress, $"silo {entry.SiloAddress} was declared dead");
            }
        }

        Gateway.PublishGateways(snapshot.Gateways);
    }

    private void DeactivateGrainsOwnedElsewhere()
    {
        foreach (var activation in Runtime.Catalog.Activations)
        {
            if (!Runtime.Placement.IsLocal(activation.GrainId))
            {
                activation.RequestDeactivation(DeactivationReason.PlacementChanged);
            }
        }
    }

    private void OnDeclaredDead()
    {
        _ = CloseEverythingAsync($"silo {LocalSilo} was declared dead by the cluster");
        _stopHost();
    }

    /// <summary>
    /// Tells every active silo (dialing those not connected yet) that the table changed, so a
    /// join, a death or a departure spreads in a round trip instead of a refresh period. Each
    /// silo then reads the table itself: the message carries no membership, only the news.
    /// </summary>
    private void TellOthersTheTableChanged(int version)
    {
        foreach (var silo in Membership.Snapshot.ActiveSilos)
        {
            if (silo.Equals(LocalSilo) || _stopped)
            {
                continue;
            }

            if (Connections.TryGetOpen(silo, out var open))
            {
                Tell(open, version);
            }
            else
            {
                _ = Connections.GetAsync(silo).ContinueWith(
                    static (dial, state) =>
                    {
                        if (dial.IsCompletedSuccessfully)
                        {
                            Tell(dial.Result, (int)state!);
                        }
                    },
                    version,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }

        static void Tell(Connection connection, int version) =>
            connection.TrySend(FrameType.MembershipChanged, version, static (writer, v) => writer.WriteVarInt64(v));
    }

    private async Task Guarded(Func<Task> operation)
    {
        try
        {
            await operation().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            MembershipLog.OperationFailed(_transportLogger, exception, "status update while stopping");
        }
    }
}
