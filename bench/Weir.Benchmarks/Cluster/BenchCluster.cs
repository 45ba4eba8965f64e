using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Grains;
using Weir.Grains.Hosting;

namespace Weir.Benchmarks.Cluster;

/// <summary>
/// Silos of one cluster in this process, each on its own generic host, joined through an
/// in-memory membership table and connected over real TCP on loopback (ports picked by the OS).
/// Logging off; default failure-detection timings.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private BenchCluster(string clusterId, List<IHost> silos)
    {
        ClusterId = clusterId;
        Silos = silos;
    }

    public string ClusterId { get; }

    public IReadOnlyList<IHost> Silos { get; }

    public static async Task<BenchCluster> StartAsync(int silos)
    {
        var clusterId = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var hosts = new List<IHost>();
        for (var i = 0; i < silos; i++)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            var name = $"bench{i}";
            builder.Services.AddWeirSilo(o =>
            {
                o.SiloName = name;
                o.Cluster.ClusterId = clusterId;
                o.Cluster.MembershipTable = MembershipTableKind.InMemory;
                o.Cluster.SiloPort = 0;
                o.Cluster.GatewayPort = 0;
            }).AddGrains(typeof(BenchCluster).Assembly);
            var host = builder.Build();
            await host.StartAsync();
            hosts.Add(host);
        }

        var cluster = new BenchCluster(clusterId, hosts);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (hosts.Any(h => h.Services.GetRequiredService<GrainRuntime>().Placement.Ring.Silos.Count != silos))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The {silos} silos did not all see each other within 30 s.");
            }

            await Task.Delay(20);
        }

        return cluster;
    }

    public IGrainFactory Grains(int silo) => Silos[silo].Services.GetRequiredService<IGrainFactory>();

    public GrainRuntime Runtime(int silo) => Silos[silo].Services.GetRequiredService<GrainRuntime>();

    public SiloAddress Address(int silo) => Runtime(silo).Placement.LocalSilo;

    /// <summary>An integer key of grain type <paramref name="grainType"/> that silo <paramref name="owner"/> owns.</summary>
    public long KeyOwnedBy(int owner, string grainType, long start = 0)
    {
        for (var key = start; ; key++)
        {
            if (Runtime(owner).Placement.IsLocal(new GrainId(grainType, key.ToString(System.Globalization.CultureInfo.InvariantCulture))))
            {
                return key;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Silos)
        {
            await host.StopAsync();
            host.Dispose();
        }
    }
}
