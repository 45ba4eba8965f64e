using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Grains;
using Weir.Grains.Cluster;
using Weir.Grains.Hosting;
using Weir.Grains.Membership;

namespace Weir.Cluster.Tests;

/// <summary>
/// Several silos in this process, each on its own generic host, joined through one in-memory
/// membership table and talking over real TCP on loopback ports picked by the OS. Failure
/// detection is tuned fast (probes every 100 ms, 3 misses) so tests stay short.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private readonly Action<SiloOptions>? _configure;
    private int _next;

    private TestCluster(Action<SiloOptions>? configure) => _configure = configure;

    public string ClusterId { get; } = "test-" + Guid.NewGuid().ToString("N")[..10];

    public List<TestClusterSilo> Silos { get; } = [];

    public CapturingLoggerProvider Logs { get; } = new();

    public IEnumerable<TestClusterSilo> Running => Silos.Where(s => !s.IsStopped);

    public static void FastFailureDetection(SiloOptions options)
    {
        options.ResponseTimeout = TimeSpan.FromSeconds(10);
        options.DeactivationTimeout = TimeSpan.FromSeconds(2);
        var cluster = options.Cluster;
        cluster.MembershipTable = MembershipTableKind.InMemory;
        cluster.SiloPort = 0;
        cluster.GatewayPort = 0;
        cluster.ProbePeriod = TimeSpan.FromMilliseconds(100);
        cluster.ProbeTimeout = TimeSpan.FromMilliseconds(300);
        cluster.NumMissedProbesLimit = 3;
        cluster.TableRefreshPeriod = TimeSpan.FromMilliseconds(250);
        cluster.IAmAlivePeriod = TimeSpan.FromMilliseconds(500);
        cluster.DeathVoteExpiration = TimeSpan.FromSeconds(10);
        cluster.ConnectTimeout = TimeSpan.FromSeconds(1);
    }

    public static async Task<TestCluster> StartAsync(int silos, Action<SiloOptions>? configure = null)
    {
        var cluster = new TestCluster(configure);
        try
        {
            for (var i = 0; i < silos; i++)
            {
                await cluster.AddSiloAsync();
            }

            await cluster.WaitUntilAllSeeAsync(silos);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public async Task<TestClusterSilo> AddSiloAsync()
    {
        var name = $"silo{_next++}";
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(Logs);
        builder.Services.AddWeirSilo(o =>
        {
            o.SiloName = name;
            o.Cluster.ClusterId = ClusterId;
            FastFailureDetection(o);
            _configure?.Invoke(o);
        }).AddGrains(typeof(TestCluster).Assembly);
        var host = builder.Build();
        await host.StartAsync().Within($"{name} to start and join");
        var silo = new TestClusterSilo(name, host);
        Silos.Add(silo);
        return silo;
    }

    /// <summary>Waits until every running silo sees exactly <paramref name="active"/> active silos.</summary>
    public Task WaitUntilAllSeeAsync(int active, TimeSpan? timeout = null) =>
        Eventually.Until(() => Running.All(s => s.Cluster.Membership.Snapshot.ActiveSilos.Count == active && s.Runtime.Placement.Ring.Silos.Count == active), $"every silo to see {active} active silos", timeout);

    /// <summary>A key of <paramref name="prefix"/> whose grain the ring places on <paramref name="owner"/>.</summary>
    public static string KeyOwnedBy(TestClusterSilo owner, string prefix)
    {
        for (var i = 0; ; i++)
        {
            var key = $"{prefix}-{i}";
            if (owner.Runtime.Placement.OwnerOf(new GrainId("echo", key)).Equals(owner.Address))
            {
                return key;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }
    }
}

/// <summary>One silo of a <see cref="TestCluster"/>.</summary>
internal sealed class TestClusterSilo(string name, IHost host) : IAsyncDisposable
{
    public string Name { get; } = name;

    public IHost Host { get; } = host;

    public bool IsStopped { get; private set; }

    public GrainRuntime Runtime => Host.Services.GetRequiredService<GrainRuntime>();

    public ClusterRuntime Cluster => Runtime.Cluster!;

    public IGrainFactory Grains => Host.Services.GetRequiredService<IGrainFactory>();

    public SiloAddress Address => Runtime.Placement.LocalSilo;

    public System.Net.IPEndPoint Gateway => Cluster.GatewayEndpoint!;

    public SiloStatus StatusOf(SiloAddress silo) => Cluster.Membership.Snapshot.StatusOf(silo);

    /// <summary>Stops like a killed process: ports and connections closed, nothing written to the membership table.</summary>
    public async Task CrashAsync()
    {
        IsStopped = true;
        await Cluster.CrashAsync();
    }

    public async Task StopAsync()
    {
        IsStopped = true;
        await Host.StopAsync().Within($"{Name} to stop");
    }

    public async ValueTask DisposeAsync()
    {
        if (!IsStopped || Cluster.IsStopped)
        {
            IsStopped = true;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await Host.StopAsync(timeout.Token);
        }

        Host.Dispose();
    }

    public override string ToString() => $"{Name} {Address}";
}
