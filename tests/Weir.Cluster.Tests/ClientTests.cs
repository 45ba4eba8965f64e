using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Client;
using Weir.Grains;
using Weir.Grains.Cluster;
using Weir.Grains.Membership;

namespace Weir.Cluster.Tests;

/// <summary>The grain client from outside the cluster: calls through a gateway, and reconnection when the gateway dies.</summary>
public sealed class ClientTests
{
    [Fact]
    public async Task ClientCallsGrainsOnEverySiloThroughOneGateway()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await ConnectAsync(cluster, cluster.Silos[0]);

        foreach (var silo in cluster.Silos)
        {
            var key = TestCluster.KeyOwnedBy(silo, "client");
            var grain = client.GetGrain<IEchoGrain>(key);
            Assert.Equal(silo.Address.ToString(), await grain.WhereAsync());
            Assert.Equal(silo.Address.ToString(), await cluster.Silos[1].Grains.GetGrain<IEchoGrain>(key).WhereAsync());
            Assert.Equal(5, await grain.AddAsync(2, 3));
            var payload = await grain.RoundTripAsync(new Payload("c", [4], new Dictionary<string, long> { ["k"] = 9 }, DateTimeOffset.UnixEpoch));
            Assert.Equal(("c!", 9L), (payload.Name, payload.Counts["k"]));
            var failure = await Assert.ThrowsAsync<OrderRejectedException>(() => grain.ThrowAsync("rejected", "no stock"));
            Assert.Equal("no stock", failure.Message);
        }

        Assert.Equal(1, cluster.Silos.Sum(s => s.Runtime.Catalog.Activations.Count(a => a.GrainId.Key == TestCluster.KeyOwnedBy(cluster.Silos[2], "client"))));
    }

    [Fact]
    public async Task ClientCallsTimeOutNamingGrainAndMethod()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        await using var client = await ConnectAsync(cluster, cluster.Silos[0]);
        var key = TestCluster.KeyOwnedBy(cluster.Silos[1], "client-slow");

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => client.GetGrain<IEchoGrain>(key).SlowAsync(3000));

        Assert.Contains($"IEchoGrain.SlowAsync to grain echo/{key}", timeout.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientReconnectsToAnotherGatewayWhenItsGatewayDies()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var (gateway, other, third) = (cluster.Silos[0], cluster.Silos[1], cluster.Silos[2]);
        await using var client = await ConnectAsync(cluster, gateway);
        await Eventually.Until(() => client.AnnouncedGateways.Count == 3, "the client to learn the cluster's three gateways");
        var onOther = TestCluster.KeyOwnedBy(other, "survivor");
        var onGateway = TestCluster.KeyOwnedBy(gateway, "lost");
        Assert.Equal(other.Address.ToString(), await client.GetGrain<IEchoGrain>(onOther).WhereAsync());

        var waiting = client.GetGrain<IEchoGrain>(onOther).WaitAsync(5000);
        await Eventually.Until(() => other.Runtime.Catalog.Activations.Any(a => a.GrainId.Key == onOther), "the call to reach its grain");
        var crashed = Stopwatch.StartNew();
        await gateway.CrashAsync();

        // The call in flight through the dead gateway fails at once; the client moves to another gateway.
        await Assert.ThrowsAsync<SiloUnavailableException>(() => waiting.Within("the call through the dead gateway to fail"));
        Assert.True(crashed.Elapsed < TimeSpan.FromSeconds(2), $"failed after {crashed.Elapsed}");
        Assert.Equal(other.Address.ToString(), await client.GetGrain<IEchoGrain>(onOther).WhereAsync().Within("a call after reconnecting"));
        Assert.Contains(client.GatewaySilo, new[] { other.Address, third.Address });

        // Once the cluster declared the gateway's silo dead, its grains answer from the survivors.
        await cluster.WaitUntilAllSeeAsync(2);
        Assert.NotEqual(gateway.Address.ToString(), await client.GetGrain<IEchoGrain>(onGateway).WhereAsync());
    }

    [Fact]
    public async Task ClientFindsGatewaysInTheMembershipTable()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var options = new WeirClientOptions { ClusterId = cluster.ClusterId, MembershipTable = InMemoryMembershipTables.For(cluster.ClusterId) };
        await using var client = new WeirClient(options);

        await client.ConnectAsync();

        Assert.Contains(client.GatewaySilo, cluster.Silos.Select(s => s.Address));
        Assert.Equal("k:v", await client.GetGrain<IEchoGrain>("k").EchoAsync("v"));
    }

    [Fact]
    public async Task AddWeirClientConnectsWithTheHostAndServesIGrainFactory()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddWeirClient(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.Gateways.Add(cluster.Silos[0].Gateway.ToString());
        });
        using var app = builder.Build();

        await app.StartAsync();
        var grains = app.Services.GetRequiredService<IGrainFactory>();

        Assert.Equal("app:hi", await grains.GetGrain<IEchoGrain>("app").EchoAsync("hi"));
        await app.StopAsync();
    }

    [Fact]
    public async Task AClientThatHasNotConnectedSaysSo()
    {
        var options = new WeirClientOptions { ClusterId = "c" };
        options.Gateways.Add("127.0.0.1:1");
        await using var client = new WeirClient(options);

        var failure = Assert.Throws<InvalidOperationException>(() => client.GetGrain<IEchoGrain>("x"));

        Assert.Contains("call ConnectAsync", failure.Message, StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<SiloUnavailableException>(() => client.ConnectAsync());
        Assert.Contains("127.0.0.1:1", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidOptionsNameTheOptionTheValueAndWhatIsAllowed()
    {
        var options = new WeirClientOptions { ClusterId = " ", ResponseTimeout = TimeSpan.Zero };
        options.Gateways.Add("nowhere");

        var failure = Assert.Throws<ArgumentException>(() => new WeirClient(options));

        Assert.Contains("WeirClientOptions.ClusterId = ' ' is not allowed", failure.Message, StringComparison.Ordinal);
        Assert.Contains("WeirClientOptions.Gateways contains 'nowhere', which is not allowed: each must be 'host:port'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("WeirClientOptions.ResponseTimeout = 00:00:00 is not allowed", failure.Message, StringComparison.Ordinal);
    }

    private static async Task<WeirClient> ConnectAsync(TestCluster cluster, TestClusterSilo gateway)
    {
        var options = new WeirClientOptions { ClusterId = cluster.ClusterId, ResponseTimeout = TimeSpan.FromSeconds(10) };
        options.Gateways.Add(gateway.Gateway.ToString());
        var client = new WeirClient(options);
        await client.ConnectAsync().Within("the client to connect");
        Assert.Equal(gateway.Address, client.GatewaySilo);
        return client;
    }
}
