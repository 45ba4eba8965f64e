using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Weir.Grains;
using Weir.Grains.Cluster;
using Weir.Grains.Hosting;
using Weir.Grains.Membership;

namespace Weir.Cluster.Tests;

/// <summary>
/// The membership protocol on a manual clock and an in-memory table: join, heartbeats, probes,
/// suspicion and death by votes, self-declared death. The in-memory table answers synchronously,
/// so each step completes inside the call (or the clock advance) that starts it.
/// </summary>
public sealed class MembershipTests
{
    private readonly ManualTimeProvider _clock = new();
    private readonly MembershipTable _table = new(new InMemoryMembershipStorage(), "c");
    private readonly FakeProber _prober = new();
    private readonly ClusterOptions _options = new() { ClusterId = "c" };

    [Fact]
    public async Task JoinInsertsAJoiningRowThenBecomesActive()
    {
        var recording = new RecordingTable(_table);
        var silo = Address(1);
        var agent = new MembershipAgent(recording, _options, "memory", _clock, NullLogger.Instance);

        await agent.JoinAsync(silo, "one", gatewayPort: 30001, CancellationToken.None);

        Assert.Equal(["insert Joining", "update Active"], recording.Writes);
        var row = (await _table.ReadAllAsync()).Find(silo)!.Value.Entry;
        Assert.Equal(SiloStatus.Active, row.Status);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 30001), row.GatewayEndpoint);
        Assert.Equal(_clock.GetUtcNow(), row.StartTime);
        Assert.Equal([silo], agent.Snapshot.ActiveSilos);
        Assert.Equal(2, agent.Snapshot.Version);
    }

    [Fact]
    public async Task HeartbeatsFollowTheClockWithoutChangingTheTableVersion()
    {
        var agent = await JoinAsync(1);
        agent.Start();

        _clock.Advance(_options.IAmAlivePeriod);

        var table = await _table.ReadAllAsync();
        Assert.Equal(_clock.GetUtcNow(), table.Find(Address(1))!.Value.Entry.IAmAliveTime);
        Assert.Equal(2, table.Version.Version);
        agent.Stop();
    }

    [Fact]
    public async Task SilentSiloIsSuspectedAfterMissedProbesAndDeclaredDeadByTwoVotes()
    {
        var (a, b, c) = (await JoinAsync(1), await JoinAsync(2), await JoinAsync(3));
        await RefreshAllAsync(a, b, c);
        _prober.Silent.Add(Address(3));
        var monitorA = Monitor(a);
        var monitorB = Monitor(b);

        await monitorA.ProbeRoundAsync();
        await monitorA.ProbeRoundAsync();
        Assert.Equal(2, monitorA.MissedProbes[Address(3)]);
        Assert.Empty(await VotesAgainstAsync(Address(3)));

        await monitorA.ProbeRoundAsync();
        Assert.Equal([Address(1)], await VotesAgainstAsync(Address(3)));
        Assert.Equal(SiloStatus.Active, await StatusAsync(Address(3)));

        for (var i = 0; i < _options.NumMissedProbesLimit; i++)
        {
            await monitorB.ProbeRoundAsync();
        }

        Assert.Equal(SiloStatus.Dead, await StatusAsync(Address(3)));
        Assert.Equal(SiloStatus.Active, await StatusAsync(Address(1)));
        Assert.Equal([Address(1), Address(2)], b.Snapshot.ActiveSilos);
    }

    [Fact]
    public async Task AnAnswerResetsTheMissedProbes()
    {
        var (a, _) = (await JoinAsync(1), await JoinAsync(2));
        await a.RefreshAsync();
        var monitor = Monitor(a);
        _prober.Silent.Add(Address(2));
        await monitor.ProbeRoundAsync();
        await monitor.ProbeRoundAsync();

        _prober.Silent.Clear();
        await monitor.ProbeRoundAsync();
        _prober.Silent.Add(Address(2));
        await monitor.ProbeRoundAsync();
        await monitor.ProbeRoundAsync();

        Assert.Equal(2, monitor.MissedProbes[Address(2)]);
        Assert.Empty(await VotesAgainstAsync(Address(2)));
    }

    [Fact]
    public async Task ExpiredVotesDoNotCount()
    {
        var (a, b, c) = (await JoinAsync(1), await JoinAsync(2), await JoinAsync(3));
        await a.TrySuspectOrKillAsync(Address(3));

        // All three keep heartbeating, so all count as active: two fresh votes are needed.
        _clock.Advance(_options.DeathVoteExpiration + TimeSpan.FromSeconds(1));
        await HeartbeatAllAsync(a, b, c);
        var declared = await b.TrySuspectOrKillAsync(Address(3));

        Assert.False(declared);
        Assert.Equal(SiloStatus.Active, await StatusAsync(Address(3)));
        Assert.Equal([Address(2)], await VotesAgainstAsync(Address(3)));
    }

    [Fact]
    public async Task InATwoSiloClusterOneVoteDeclaresDeath()
    {
        var (a, _) = (await JoinAsync(1), await JoinAsync(2));

        Assert.True(await a.TrySuspectOrKillAsync(Address(2)));
        Assert.Equal(SiloStatus.Dead, await StatusAsync(Address(2)));
    }

    [Fact]
    public async Task SiloThatFindsItselfDeadRaisesDeclaredDeadOnce()
    {
        var (a, c) = (await JoinAsync(1), await JoinAsync(2));
        var raised = 0;
        c.DeclaredDead += () => raised++;
        await a.TrySuspectOrKillAsync(Address(2));

        await c.RefreshAsync();
        await c.RefreshAsync();

        Assert.Equal(1, raised);
        await c.HeartbeatAsync();
        Assert.Equal(SiloStatus.Dead, await StatusAsync(Address(2)));
    }

    [Fact]
    public async Task GracefulLeaveIsNotTakenForADeathDeclaration()
    {
        var agent = await JoinAsync(1);
        var raised = 0;
        agent.DeclaredDead += () => raised++;

        await agent.UpdateOwnStatusAsync(SiloStatus.ShuttingDown);
        await agent.UpdateOwnStatusAsync(SiloStatus.Dead);
        await agent.UpdateOwnStatusAsync(SiloStatus.Active);

        Assert.Equal(0, raised);
        Assert.Equal(SiloStatus.Dead, await StatusAsync(Address(1)));
    }

    [Fact]
    public async Task RestartedSiloDeclaresItsEarlierGenerationDead()
    {
        await JoinAsync(1);
        var restarted = new SiloAddress(Address(1).Endpoint, Address(1).Generation + 1);
        var agent = new MembershipAgent(_table, _options, "memory", _clock, NullLogger.Instance);

        await agent.JoinAsync(restarted, "one again", null, CancellationToken.None);

        Assert.Equal(SiloStatus.Dead, await StatusAsync(Address(1)));
        Assert.Equal(SiloStatus.Active, await StatusAsync(restarted));
        Assert.Equal([restarted], agent.Snapshot.ActiveSilos);
    }

    [Theory]
    [InlineData(1, 2, 1)]
    [InlineData(2, 2, 1)]
    [InlineData(3, 2, 2)]
    [InlineData(5, 2, 2)]
    [InlineData(5, 3, 3)]
    [InlineData(9, 10, 5)]
    public void VotesRequiredAreCappedByHalfTheActiveSilos(int activeSilos, int numVotes, int required)
    {
        var now = _clock.GetUtcNow();
        var table = Enumerable.Range(1, activeSilos).Select(i => Entry(i, now)).ToList();

        var decision = DeathVote.Decide(table[^1], Address(1), now, table, numVotes, TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(15));

        Assert.Equal(required, decision.RequiredVotes);
    }

    [Fact]
    public void StaleSilosDoNotCountAmongTheActiveOnes()
    {
        var now = _clock.GetUtcNow();
        var table = Enumerable.Range(1, 5).Select(i => Entry(i, i <= 2 ? now : now - TimeSpan.FromMinutes(1))).ToList();

        var decision = DeathVote.Decide(table[4], Address(1), now, table, 3, TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(15));

        Assert.Equal(1, decision.RequiredVotes);
        Assert.True(decision.DeclareDead);
    }

    [Fact]
    public void ProbeTargetsAreTheSilosThatFollowInAddressOrder()
    {
        var silos = Enumerable.Range(1, 5).Select(Address).ToList();

        Assert.Equal([Address(4), Address(5)], SiloHealthMonitor.ChooseTargets(silos, Address(3), 2));
        Assert.Equal([Address(1), Address(2)], SiloHealthMonitor.ChooseTargets(silos, Address(5), 2));
        Assert.Equal(4, SiloHealthMonitor.ChooseTargets(silos, Address(2), 10).Count);
    }

    [Fact]
    public async Task SiloDeclaredDeadByTheClusterStopsItsHost()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var doomed = cluster.Silos[1];
        var stopping = new TaskCompletionSource();
        doomed.Host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => stopping.TrySetResult());
        var table = InMemoryMembershipTables.For(cluster.ClusterId);
        var data = await table.ReadAllAsync();
        var row = data.Find(doomed.Address)!.Value;

        Assert.True(await table.UpdateRowAsync(row.Entry with { Status = SiloStatus.Dead }, row.ETag, data.Version));

        await stopping.Task.Within("the silo declared dead to stop its host");
        await cluster.Logs.WaitForLineAsync("the self-death log line", "was declared dead by the cluster; stopping");
        Assert.True(doomed.Cluster.IsStopped);
        await cluster.WaitUntilAllSeeAsync(1);
    }

    private static SiloAddress Address(int i) => new(new IPEndPoint(IPAddress.Loopback, 20000 + i), 1000);

    private static MembershipEntry Entry(int i, DateTimeOffset iAmAlive) => new()
    {
        SiloAddress = Address(i),
        SiloName = $"s{i}",
        Status = SiloStatus.Active,
        StartTime = iAmAlive,
        IAmAliveTime = iAmAlive,
    };

    private async Task<MembershipAgent> JoinAsync(int i)
    {
        var agent = new MembershipAgent(_table, _options, "memory", _clock, NullLogger.Instance);
        await agent.JoinAsync(Address(i), $"s{i}", null, CancellationToken.None);
        return agent;
    }

    private SiloHealthMonitor Monitor(MembershipAgent agent) => new(agent, _prober, _options, _clock, NullLogger.Instance);

    private static async Task RefreshAllAsync(params MembershipAgent[] agents)
    {
        foreach (var agent in agents)
        {
            await agent.RefreshAsync();
        }
    }

    private static async Task HeartbeatAllAsync(params MembershipAgent[] agents)
    {
        foreach (var agent in agents)
        {
            await agent.HeartbeatAsync();
        }
    }

    private async Task<SiloStatus> StatusAsync(SiloAddress silo) => (await _table.ReadAllAsync()).Find(silo)!.Value.Entry.Status;

    private async Task<IReadOnlyList<SiloAddress>> VotesAgainstAsync(SiloAddress silo) =>
        (await _table.ReadAllAsync()).Find(silo)!.Value.Entry.SuspectTimes.Select(v => v.Voter).Order().ToList();

    private sealed class FakeProber : ISiloProber
    {
        public HashSet<SiloAddress> Silent { get; } = [];

        public Task<bool> ProbeAsync(SiloAddress silo, CancellationToken cancellationToken) => Task.FromResult(!Silent.Contains(silo));
    }

    private sealed class RecordingTable(IMembershipTable inner) : IMembershipTable
    {
        public List<string> Writes { get; } = [];

        public Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken = default) => inner.ReadAllAsync(cancellationToken);

        public async Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion expectedVersion, CancellationToken cancellationToken = default)
        {
            Writes.Add($"insert {entry.Status}");
            return await inner.InsertRowAsync(entry, expectedVersion, cancellationToken);
        }

        public async Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion expectedVersion, CancellationToken cancellationToken = default)
        {
            Writes.Add($"update {entry.Status}");
            return await inner.UpdateRowAsync(entry, etag, expectedVersion, cancellationToken);
        }

        public Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset iAmAliveTime, CancellationToken cancellationToken = default) =>
            inner.UpdateIAmAliveAsync(silo, iAmAliveTime, cancellationToken);
    }
}
