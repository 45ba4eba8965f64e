using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Weir.Grains;
using Weir.Grains.Channels;
using Weir.Grains.Hosting;

namespace Weir.Cluster.Tests;

/// <summary>Cluster options are checked at start-up; without them a silo stays alone and opens no port.</summary>
public sealed class ClusterOptionsTests
{
    [Fact]
    public async Task ASiloWithoutAClusterIdRunsAloneAndOpensNoPort()
    {
        using var host = Build(_ => { });
        await host.StartAsync();

        var details = host.Services.GetRequiredService<ILocalSiloDetails>();
        Assert.Null(details.ClusterId);
        Assert.Null(details.GatewayEndpoint);
        Assert.Equal(0, details.SiloAddress.Endpoint.Port);
        Assert.Null(host.Services.GetRequiredService<GrainRuntime>().Cluster);
        Assert.True(host.Services.GetRequiredService<IGrainLocator>().IsLocal(new GrainId("echo", "any")));
        Assert.Equal("a:b", await host.Services.GetRequiredService<IGrainFactory>().GetGrain<IEchoGrain>("a").EchoAsync("b"));
        var channels = host.Services.GetRequiredService<IRemoteChannelFactory>();
        var elsewhere = new SiloAddress(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 5), 1);
        var writer = channels.OpenWriter(new RemoteChannelId("nowhere"), elsewhere, new TestElementCodec());
        await Eventually.Until(() => writer.Fault is not null, "the writer to fault");
        Assert.Contains("not in a cluster", writer.Fault!.Message, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task BadClusterOptionsStopStartUpNamingOptionValueAndWhatIsAllowed()
    {
        using var host = Build(o =>
        {
            o.Cluster.ClusterId = "bad id!";
            o.Cluster.SiloPort = 70000;
            o.Cluster.GatewayPort = 70000;
            o.Cluster.AdvertisedAddress = "localhost-ish";
            o.Cluster.MembershipTable = MembershipTableKind.File;
            o.Cluster.ProbePeriod = TimeSpan.Zero;
            o.Cluster.NumVotesForDeathDeclaration = 20;
            o.Cluster.MaxFrameBytes = 10;
        });

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("SiloOptions.Cluster.ClusterId = 'bad id!' is not allowed: it must be 1 to 128 ASCII letters, digits, '-', '_' or '.'.", failure.Message, StringComparison.Ordinal);
        Assert.Contains("SiloOptions.Cluster.SiloPort = 70000 is not allowed: it must be between 0 (a free port) and 65535.", failure.Message, StringComparison.Ordinal);
        Assert.Contains("SiloOptions.Cluster.AdvertisedAddress = 'localhost-ish' is not allowed", failure.Message, StringComparison.Ordinal);
        Assert.Contains("SiloOptions.Cluster.MembershipDirectory = '' is not allowed with MembershipTable = File", failure.Message, StringComparison.Ordinal);
        Assert.Contains("SiloOptions.Cluster.ProbePeriod = 00:00:00 is not allowed: it must be greater than zero", failure.Message, StringComparison.Ordinal);
        Assert.Contains("SiloOptions.Cluster.NumVotesForDeathDeclaration = 20 is not allowed: it must be at most NumProbedSilos (10)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("SiloOptions.Cluster.MaxFrameBytes = 10 is not allowed: it must be between 65536 and 1073741824.", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACustomTableMustBeRegisteredAndAGatewayNeedsACluster()
    {
        using var custom = Build(o =>
        {
            o.Cluster.ClusterId = "c";
            o.Cluster.MembershipTable = MembershipTableKind.Custom;
        });
        var noTable = await Assert.ThrowsAsync<OptionsValidationException>(() => custom.StartAsync());
        Assert.Contains("SiloOptions.Cluster.MembershipTable = Custom is not allowed without a registered IMembershipTable", noTable.Message, StringComparison.Ordinal);

        using var gatewayAlone = Build(o => o.Cluster.GatewayPort = 30000);
        var noCluster = await Assert.ThrowsAsync<OptionsValidationException>(() => gatewayAlone.StartAsync());
        Assert.Contains("SiloOptions.Cluster.GatewayPort = 30000 is not allowed without SiloOptions.Cluster.ClusterId", noCluster.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SilosOfALocalClusterJoinThroughTheFileTable()
    {
        var directory = Path.Combine(Path.GetTempPath(), "weir-cluster-" + Guid.NewGuid().ToString("N"));
        var clusterId = "files-" + Guid.NewGuid().ToString("N")[..6];
        void Configure(SiloOptions o)
        {
            o.Cluster.ClusterId = clusterId;
            o.Cluster.SiloPort = 0;
            o.Cluster.MembershipDirectory = directory;
        }

        using var first = Build(Configure);
        using var second = Build(Configure);
        try
        {
            await Task.WhenAll(first.StartAsync(), second.StartAsync());
            var key = "file-joined";
            await Eventually.Until(
                () => new[] { first, second }.All(h => h.Services.GetRequiredService<GrainRuntime>().Placement.Ring.Silos.Count == 2),
                "both silos to see each other");

            var owner = first.Services.GetRequiredService<IGrainLocator>().OwnerOf(new GrainId("echo", key)).ToString();
            Assert.Equal(owner, await second.Services.GetRequiredService<IGrainFactory>().GetGrain<IEchoGrain>(key).WhereAsync());
            Assert.True(File.Exists(Path.Combine(directory, $"{clusterId}.membership.json")));
        }
        finally
        {
            await Task.WhenAll(first.StopAsync(), second.StopAsync());
            Directory.Delete(directory, recursive: true);
        }
    }

    private static IHost Build(Action<SiloOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddWeirSilo(configure).AddGrains(typeof(ClusterOptionsTests).Assembly);
        return builder.Build();
    }
}
