using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Grains.Activation;
using Weir.Grains.Channels;
using Weir.Grains.Cluster;
using Weir.Grains.Hosting;
using Weir.Grains.Invocation;
using Weir.Grains.Membership;
using Weir.Grains.Placement;
using Weir.Grains.Transport;

namespace Weir.Grains;

/// <summary>
/// The silo's runtime core: the catalog of activations, message delivery, and the two sweeps
/// that keep it healthy (call timeouts and idle collection). Hosting starts and stops it.
/// In a cluster (<see cref="ClusterOptions.ClusterId"/> set) <see cref="Cluster"/> joins the
/// others, and delivery sends a call to the silo that owns its grain; a single silo has no
/// cluster part and delivers everything locally.
/// </summary>
internal sealed class GrainRuntime : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly ActivationCollector _collector;
    private readonly CallTimeoutWatcher _timeouts;
    private volatile RuntimeStatus _status = RuntimeStatus.Created;

    public GrainRuntime(IServiceProvider services, SiloOptions options, GrainTypeRegistry registry, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        Services = services;
        Options = options;
        Registry = registry;
        TimeProvider = timeProvider;
        Log = new RuntimeLog(loggerFactory.CreateLogger("Weir.Grains.Runtime"));
        Catalog = new Catalog(this);
        GrainFactory = new GrainFactory(this);
        _collector = new ActivationCollector(this);
        _timeouts = new CallTimeoutWatcher(this);
        Placement = new GrainPlacement(new SiloAddress(new IPEndPoint(IPAddress.Loopback, 0), timeProvider.GetUtcNow().UtcTicks), options.Cluster.VirtualNodesPerSilo);
        Channels = new RemoteChannels(() => Placement.LocalSilo, ConnectToSilo);
        if (options.Cluster.IsEnabled)
        {
            var (table, location) = MembershipTableFor(options.Cluster, services, timeProvider);
            Cluster = new ClusterRuntime(this, table, location, loggerFactory, () => services.GetService<IHostApplicationLifetime>()?.StopApplication());
        }
    }

    public IServiceProvider Services { get; }

    public SiloOptions Options { get; }

    public GrainTypeRegistry Registry { get; }

    public TimeProvider TimeProvider { get; }

    public RuntimeLog Log { get; }

    public Catalog Catalog { get; }

    public IGrainFactory GrainFactory { get; }

    public CancellationToken StoppingToken => _stopping.Token;

    /// <summary>Where grains live; in a single silo, here.</summary>
    public GrainPlacement Placement { get; }

    /// <summary>Cross-silo channels (none can open in a single silo).</summary>
    public RemoteChannels Channels { get; }

    /// <summary>The cluster part; null for a single silo.</summary>
    public ClusterRuntime? Cluster { get; }

    public void Start()
    {
        _status = RuntimeStatus.Running;
        _collector.Start();
        _timeouts.Start();
        Log.SiloStarted(Options.SiloName, Registry.Classes.Count);
    }

    /// <summary>Deactivates every activation; no new activation is created meanwhile.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_status is RuntimeStatus.Stopping or RuntimeStatus.Stopped)
        {
            return;
        }

        _status = RuntimeStatus.Stopping;
        var activations = Catalog.Activations.ToArray();
        Log.SiloStopping(Options.SiloName, activations.Length);
        foreach (var activation in activations)
        {
            activation.RequestDeactivation(DeactivationReason.ShuttingDown);
        }

        try
        {
            await Task.WhenAll(activations.Select(a => a.Deactivated)).WaitAsync(cancellationToken);
        }
        finally
        {
            _status = RuntimeStatus.Stopped;
            _stopping.Cancel();
            _collector.Dispose();
            _timeouts.Dispose();
            Log.SiloStopped(Options.SiloName);
        }
    }

    /// <summary>
    /// Puts a new message into the activation of its grain; returns that activation for the
    /// reference to remember. In a cluster, a message for a grain another silo owns is sent there
    /// instead (and null returned, so the reference asks again next time).
    /// </summary>
    public ActivationData? Deliver(GrainId grainId, GrainClass grainClass, Message message)
    {
        if (Cluster is { } cluster && cluster.TryRouteRemote(grainId, message))
        {
            return null;
        }

        while (true)
        {
            ActivationData activation;
            try
            {
                activation = Catalog.GetOrCreate(grainId, grainClass);
            }
            catch (SiloUnavailableException exception)
            {
                message.Fail(exception);
                return null;
            }

            if (activation.TryEnqueue(message))
            {
                return activation;
            }
        }
    }

    /// <summary>Moves a message queued at a deactivated activation on to the next one.</summary>
    public void Redeliver(GrainId grainId, GrainClass grainClass, Message message) => Deliver(grainId, grainClass, message);

    public void ThrowIfNotAcceptingActivations(GrainId grainId)
    {
        if (_status is RuntimeStatus.Stopping or RuntimeStatus.Stopped)
        {
            throw new SiloUnavailableException($"Silo '{Options.SiloName}' is shutting down: grain {grainId} cannot be activated.");
        }

        if (Cluster is { IsStopped: true })
        {
            throw new SiloUnavailableException($"Silo '{Options.SiloName}' ({Placement.LocalSilo}) has left the cluster: grain {grainId} cannot be activated.");
        }
    }

    public CallDeadline DeadlineFor(GrainMethodInvoker method)
    {
        var timeout = method.Timeout ?? Options.ResponseTimeout;
        return new CallDeadline(TimeProvider.GetTimestamp() + (long)(timeout.TotalSeconds * TimeProvider.TimestampFrequency), timeout);
    }

    public static TimeoutException TimeoutFor(GrainId grainId, Message message) =>
        new($"The call {message.Describe()} to grain {grainId} got no answer within {message.Deadline.Timeout.TotalMilliseconds:0} ms.");

    private static (IMembershipTable Table, string Location) MembershipTableFor(ClusterOptions options, IServiceProvider services, TimeProvider timeProvider)
    {
        var clusterId = options.ClusterId!;
        switch (options.MembershipTable)
        {
            case MembershipTableKind.InMemory:
                var inMemory = InMemoryMembershipTables.For(clusterId);
                return (inMemory, inMemory.Location);
            case MembershipTableKind.Custom:
                var custom = services.GetService<IMembershipTable>()
                    ?? throw new InvalidOperationException("SiloOptions.Cluster.MembershipTable = Custom, but no IMembershipTable is registered.");
                return (custom, custom is MembershipTable { } table ? table.Location : custom.GetType().Name);
            default:
                var file = new MembershipTable(new FileMembershipStorage(options.MembershipDirectory!, clusterId, timeProvider), clusterId);
                return (file, file.Location);
        }
    }

    private Task<Connection> ConnectToSilo(SiloAddress silo) => Cluster is { } cluster
        ? cluster.Connections.GetAsync(silo)
        : Task.FromException<Connection>(new SiloUnavailableException($"Silo '{Options.SiloName}' is not in a cluster: it connects to no other silo (set SiloOptions.Cluster.ClusterId)."));

    public void Dispose()
    {
        _collector.Dispose();
        _timeouts.Dispose();
        _stopping.Dispose();
    }

    private enum RuntimeStatus
    {
        Created,
        Running,
        Stopping,
        Stopped,
    }
}
