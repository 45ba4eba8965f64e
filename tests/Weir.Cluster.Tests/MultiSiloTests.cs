using System.Diagnostics;
using Weir.Grains;
using Weir.Grains.Activation;
using Weir.Grains.Cluster;
using Weir.Grains.Membership;
using Xunit.Abstractions;

namespace Weir.Cluster.Tests;

/// <summary>Three silos in this process on loopback ports, over real TCP.</summary>
public sealed class MultiSiloTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SilosCallEachOthersGrainsAndPlacementSpreadsThem()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var keys = Enumerable.Range(0, 90).Select(i => $"spread-{i}").ToList();

        // Every silo asks where every grain runs: all agree (one activation per grain), and the grains spread.
        var answers = new Dictionary<string, HashSet<string>>();
        foreach (var silo in cluster.Silos)
        {
            var wheres = await Task.WhenAll(keys.Select(k => silo.Grains.GetGrain<IEchoGrain>(k).WhereAsync()));
            for (var i = 0; i < keys.Count; i++)
            {
                (answers.TryGetValue(keys[i], out var set) ? set : answers[keys[i]] = []).Add(wheres[i]);
            }

            Assert.Equal($"x:{silo.Name}", await silo.Grains.GetGrain<IEchoGrain>("x").EchoAsync(silo.Name));
        }

        Assert.All(answers, a => Assert.Single(a.Value));
        var perSilo = answers.Values.Select(v => v.Single()).GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(cluster.Silos.Select(s => s.Address.ToString()).Order(), perSilo.Keys.Order());
        Assert.All(perSilo.Values, count => Assert.InRange(count, 10, 60));
        Assert.All(cluster.Silos, s => Assert.Equal(perSilo[s.Address.ToString()], s.Runtime.Catalog.Activations.Count(a => a.GrainId.Key.StartsWith("spread-", StringComparison.Ordinal))));

        // Grain to grain: a grain on one silo calls a grain on another.
        var a = TestCluster.KeyOwnedBy(cluster.Silos[0], "caller");
        var b = TestCluster.KeyOwnedBy(cluster.Silos[2], "callee");
        Assert.Equal(cluster.Silos[2].Address.ToString(), await cluster.Silos[1].Grains.GetGrain<IEchoGrain>(a).CallOtherAsync(b));
        Assert.Equal(7, await cluster.Silos[1].Grains.GetGrain<IEchoGrain>(a).AddAsync(3, 4));
    }

    [Fact]
    public async Task EachPairOfSilosSharesOneConnectionEvenWhenBothDialAtOnce()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        foreach (var silo in cluster.Silos)
        {
            await Task.WhenAll(cluster.Silos.Select(s => silo.Grains.GetGrain<IEchoGrain>(TestCluster.KeyOwnedBy(s, "pair")).WhereAsync()));
        }

        await Eventually.Until(() => cluster.Silos.All(s => s.Cluster.Connections.OpenConnections.Count() == 2), "two connections per silo");
        AssertOneConnectionPerPair(cluster.Silos[0], cluster.Silos[1]);

        // Drop the connection on both sides, then make both silos dial each other at the same moment.
        var (a, b) = (cluster.Silos[0], cluster.Silos[1]);
        for (var round = 0; round < 20; round++)
        {
            a.Cluster.Connections.Disconnect(b.Address, "test: dial race");
            b.Cluster.Connections.Disconnect(a.Address, "test: dial race");
            var dials = await Task.WhenAll(Task.Run(() => a.Cluster.Connections.GetAsync(b.Address)), Task.Run(() => b.Cluster.Connections.GetAsync(a.Address))).Within("both dials");
            Assert.All(dials, d => Assert.False(d.IsClosed));
            await Eventually.Until(() => TheSameConnection(a, b), $"round {round}: one connection between the two silos");
        }

        // One side drops the connection and dials at once, before the other noticed: they still end up with one.
        var (lower, higher) = a.Address.CompareTo(b.Address) < 0 ? (a, b) : (b, a);
        for (var round = 0; round < 10; round++)
        {
            var dropper = round % 2 == 0 ? higher : lower;
            var other = ReferenceEquals(dropper, higher) ? lower : higher;
            dropper.Cluster.Connections.Disconnect(other.Address, "test: one-sided drop");
            Assert.False((await dropper.Cluster.Connections.GetAsync(other.Address).Within("the redial")).IsClosed);
            await Eventually.Until(() => TheSameConnection(a, b), $"round {round}: one connection after a one-sided drop");
        }

        AssertOneConnectionPerPair(a, b);
        Assert.Equal(a.Address.ToString(), await b.Grains.GetGrain<IEchoGrain>(TestCluster.KeyOwnedBy(a, "after-race")).WhereAsync());
        output.WriteLine($"20 rounds of simultaneous dials; {cluster.Logs.Lines.Count(l => l.Contains("Rejected connection", StringComparison.Ordinal) && l.Contains("dialed each other", StringComparison.Ordinal))} dials lost the tie-break and were refused as duplicates");
    }

    [Fact]
    public async Task RecordsWithReadOnlyCollectionsCrossSilos()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var key = TestCluster.KeyOwnedBy(cluster.Silos[1], "payload");
        var sent = new Payload("p", [1, 2, 3], new Dictionary<string, long> { ["a"] = 1, ["b"] = long.MaxValue }, DateTimeOffset.UnixEpoch.AddDays(3));

        var received = await cluster.Silos[0].Grains.GetGrain<IEchoGrain>(key).RoundTripAsync(sent);

        Assert.Equal("p!", received.Name);
        Assert.Equal(sent.Values, received.Values);
        Assert.Equal(sent.Counts.OrderBy(p => p.Key), received.Counts.OrderBy(p => p.Key));
        Assert.Equal(sent.At, received.At);
    }

    [Fact]
    public async Task ExceptionsReachRemoteCallersWithTypeAndMessage()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var grain = cluster.Silos[0].Grains.GetGrain<IEchoGrain>(TestCluster.KeyOwnedBy(cluster.Silos[1], "thrower"));

        var invalid = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.ThrowAsync("invalid", "the order is closed"));
        Assert.Equal("the order is closed", invalid.Message);
        var rejected = await Assert.ThrowsAsync<OrderRejectedException>(() => grain.ThrowAsync("rejected", "too large"));
        Assert.Equal("too large", rejected.Message);
        var argument = await Assert.ThrowsAsync<ArgumentNullException>(() => grain.ThrowAsync("argument-null", "no order"));
        Assert.Contains("no order", argument.Message, StringComparison.Ordinal);
        var opaque = await Assert.ThrowsAsync<GrainCallException>(() => grain.ThrowAsync("opaque", string.Empty));
        Assert.Equal(typeof(OpaqueFailureException).FullName, opaque.RemoteExceptionType);
        Assert.Equal("opaque failure 42", opaque.RemoteMessage);
    }

    [Fact]
    public async Task RemoteCallsTimeOutLikeLocalOnes()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var key = TestCluster.KeyOwnedBy(cluster.Silos[1], "slow");
        var started = Stopwatch.StartNew();

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => cluster.Silos[0].Grains.GetGrain<IEchoGrain>(key).SlowAsync(3000));

        Assert.Contains($"echo/{key}", timeout.Message, StringComparison.Ordinal);
        Assert.Contains("IEchoGrain.SlowAsync", timeout.Message, StringComparison.Ordinal);
        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2.5));
    }

    [Fact]
    public async Task CrashedSiloIsDeclaredDeadAndItsGrainsActivateElsewhere()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var (a, b, victim) = (cluster.Silos[0], cluster.Silos[1], cluster.Silos[2]);
        var keys = Enumerable.Range(0, 5).Select(i => TestCluster.KeyOwnedBy(victim, $"moving{i}")).Distinct().ToList();
        foreach (var key in keys)
        {
            Assert.Equal(victim.Address.ToString(), await a.Grains.GetGrain<IEchoGrain>(key).WhereAsync());
        }

        var waiting = a.Grains.GetGrain<IEchoGrain>(keys[0]).WaitAsync(5000);
        await Eventually.Until(() => victim.Runtime.Catalog.Activations.Any(x => x.GrainId.Key == keys[0] && x.State == ActivationState.Active), "the call to be running on the victim");
        var crashed = Stopwatch.StartNew();
        await victim.CrashAsync();

        // A call waiting on the dead silo fails at once, not at its timeout.
        await Assert.ThrowsAsync<SiloUnavailableException>(() => waiting.Within("the waiting call to fail"));
        Assert.True(crashed.Elapsed < TimeSpan.FromSeconds(2), $"the waiting call failed after {crashed.Elapsed}");

        await Eventually.Until(() => a.StatusOf(victim.Address) == SiloStatus.Dead && b.StatusOf(victim.Address) == SiloStatus.Dead, "both survivors to see the victim dead", TimeSpan.FromSeconds(10));
        var declaredAfter = crashed.Elapsed;
        await cluster.WaitUntilAllSeeAsync(2);
        Assert.True(declaredAfter < TimeSpan.FromSeconds(10), $"declared dead after {declaredAfter}");
        output.WriteLine($"crash of {victim.Address}: waiting call failed at once; declared dead after {declaredAfter.TotalSeconds:F2} s (probes every 100 ms, 3 misses)");

        var survivors = new[] { a.Address.ToString(), b.Address.ToString() };
        foreach (var key in keys)
        {
            Assert.Contains(await b.Grains.GetGrain<IEchoGrain>(key).WhereAsync(), survivors);
        }
    }

    [Fact]
    public async Task CallsToACrashedSiloFailFastBeforeItIsDeclaredDead()
    {
        // Slow detection, so the calls surely happen while the ring still holds the dead silo.
        await using var cluster = await TestCluster.StartAsync(2, o => o.Cluster.NumMissedProbesLimit = 50);
        var key = TestCluster.KeyOwnedBy(cluster.Silos[1], "fast-fail");
        await cluster.Silos[0].Grains.GetGrain<IEchoGrain>(key).WhereAsync();
        await cluster.Silos[1].CrashAsync();

        var started = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<SiloUnavailableException>(() => cluster.Silos[0].Grains.GetGrain<IEchoGrain>(key).WhereAsync());

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(1.5), $"failed after {started.Elapsed}");
        Assert.Contains(cluster.Silos[1].Address.ToString(), failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JoiningSiloTakesActivationsAndOthersDeactivateWhatMoved()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var keys = Enumerable.Range(0, 60).Select(i => $"join-{i}").ToList();
        await Task.WhenAll(keys.Select(k => cluster.Silos[0].Grains.GetGrain<IEchoGrain>(k).WhereAsync()));

        var joiner = await cluster.AddSiloAsync();
        await cluster.WaitUntilAllSeeAsync(3);
        var moved = keys.Where(k => joiner.Runtime.Placement.IsLocal(new GrainId("echo", k))).ToList();
        Assert.NotEmpty(moved);

        // The old owners let go of what the newcomer owns now...
        await Eventually.Until(
            () => cluster.Silos.Take(2).All(s => !s.Runtime.Catalog.Activations.Any(x => moved.Contains(x.GrainId.Key))),
            "the old silos to deactivate the grains that moved");

        // ...and the next calls activate them on the newcomer, as they do new grains.
        var wheres = await Task.WhenAll(moved.Select(k => cluster.Silos[1].Grains.GetGrain<IEchoGrain>(k).WhereAsync()));
        Assert.All(wheres, w => Assert.Equal(joiner.Address.ToString(), w));
        var fresh = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => cluster.Silos[0].Grains.GetGrain<IEchoGrain>($"fresh-{i}").WhereAsync()));
        Assert.Contains(joiner.Address.ToString(), fresh);
    }

    [Fact]
    public async Task GracefullyStoppedSiloLeavesAsDeadAndCallsGoElsewhere()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leaving = cluster.Silos[2];
        var key = TestCluster.KeyOwnedBy(leaving, "leaving");
        Assert.Equal(leaving.Address.ToString(), await cluster.Silos[0].Grains.GetGrain<IEchoGrain>(key).WhereAsync());

        await leaving.StopAsync();

        var table = await InMemoryMembershipTables.For(cluster.ClusterId).ReadAllAsync();
        Assert.Equal(SiloStatus.Dead, table.Find(leaving.Address)!.Value.Entry.Status);
        await cluster.WaitUntilAllSeeAsync(2);
        Assert.NotEqual(leaving.Address.ToString(), await cluster.Silos[0].Grains.GetGrain<IEchoGrain>(key).WhereAsync());
        Assert.DoesNotContain(cluster.Logs.Lines, l => l.Contains("Voted silo", StringComparison.Ordinal));
    }

    private static bool TheSameConnection(TestClusterSilo a, TestClusterSilo b) =>
        a.Cluster.Connections.TryGetOpen(b.Address, out var ab) && b.Cluster.Connections.TryGetOpen(a.Address, out var ba)
        && Equals(ab.LocalEndPoint, ba.RemoteEndPoint) && Equals(ab.RemoteEndPoint, ba.LocalEndPoint);

    private static void AssertOneConnectionPerPair(TestClusterSilo a, TestClusterSilo b)
    {
        Assert.True(TheSameConnection(a, b), "both silos use the two ends of one TCP connection");
        Assert.Single(a.Cluster.Connections.OpenConnections, c => Equals(c.Peer, b.Address));
        Assert.Single(b.Cluster.Connections.OpenConnections, c => Equals(c.Peer, a.Address));
    }
}
