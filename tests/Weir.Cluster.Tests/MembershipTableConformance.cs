using System.Net;
using Weir.Grains;
using Weir.Grains.AzureBlob;
using Weir.Grains.Membership;
using Weir.Testing.Azurite;

namespace Weir.Cluster.Tests;

/// <summary>
/// What every membership table guarantees, run against each implementation: rows keyed by silo,
/// optimistic concurrency on the table version and the row ETags, heartbeats that neither bump
/// the version nor move backwards, and of concurrent writers that read the same version exactly
/// one wins.
/// </summary>
public abstract class MembershipTableConformance
{
    protected string ClusterId { get; } = "conformance-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A table over fresh storage; <paramref name="sameStorageAs"/>: another instance over the same storage (another process's view).</summary>
    protected abstract IMembershipTable CreateTable(IMembershipTable? sameStorageAs = null);

    [Fact]
    public async Task AnEmptyTableHasVersionZeroAndNoRows()
    {
        var data = await CreateTable().ReadAllAsync();

        Assert.Empty(data.Entries);
        Assert.Equal(0, data.Version.Version);
    }

    [Fact]
    public async Task InsertAddsARowOnceAndBumpsTheVersion()
    {
        var table = CreateTable();
        var empty = await table.ReadAllAsync();

        Assert.True(await table.InsertRowAsync(Entry(1, SiloStatus.Joining), empty.Version));
        Assert.False(await table.InsertRowAsync(Entry(2, SiloStatus.Joining), empty.Version));
        var one = await table.ReadAllAsync();
        Assert.False(await table.InsertRowAsync(Entry(1, SiloStatus.Active), one.Version));

        var entry = Assert.Single(one.Entries).Entry;
        Assert.Equal(1, one.Version.Version);
        Assert.Equal(Address(1), entry.SiloAddress);
        Assert.Equal(SiloStatus.Joining, entry.Status);
        Assert.Equal(30000, entry.GatewayPort);
    }

    [Fact]
    public async Task UpdateNeedsTheRowETagAndTheTableVersion()
    {
        var table = CreateTable();
        await table.InsertRowAsync(Entry(1, SiloStatus.Joining), (await table.ReadAllAsync()).Version);
        await table.InsertRowAsync(Entry(2, SiloStatus.Joining), (await table.ReadAllAsync()).Version);
        var read = await table.ReadAllAsync();
        var row = read.Find(Address(1))!.Value;

        Assert.True(await table.UpdateRowAsync(row.Entry with { Status = SiloStatus.Active }, row.ETag, read.Version));
        Assert.False(await table.UpdateRowAsync(row.Entry with { Status = SiloStatus.Dead }, row.ETag, (await table.ReadAllAsync()).Version));
        var other = read.Find(Address(2))!.Value;
        Assert.False(await table.UpdateRowAsync(other.Entry with { Status = SiloStatus.Active }, other.ETag, read.Version));

        var after = await table.ReadAllAsync();
        Assert.Equal(3, after.Version.Version);
        Assert.Equal(SiloStatus.Active, after.Find(Address(1))!.Value.Entry.Status);
        Assert.Equal(SiloStatus.Joining, after.Find(Address(2))!.Value.Entry.Status);
    }

    [Fact]
    public async Task VotesAndHeartbeatsRoundTrip()
    {
        var table = CreateTable();
        var start = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        await table.InsertRowAsync(Entry(1, SiloStatus.Active) with { StartTime = start, IAmAliveTime = start }, (await table.ReadAllAsync()).Version);
        var read = await table.ReadAllAsync();
        var row = read.Find(Address(1))!.Value;
        var votes = new[] { new SuspectVote(Address(2), start.AddSeconds(5)), new SuspectVote(Address(3), start.AddSeconds(6)) };

        await table.UpdateIAmAliveAsync(Address(1), start.AddSeconds(30));
        Assert.Equal(read.Version, (await table.ReadAllAsync()).Version);
        Assert.True(await table.UpdateRowAsync(row.Entry with { SuspectTimes = votes }, row.ETag, read.Version));
        await table.UpdateIAmAliveAsync(Address(1), start.AddSeconds(20));

        var entry = (await table.ReadAllAsync()).Find(Address(1))!.Value.Entry;
        Assert.Equal(votes, entry.SuspectTimes);
        Assert.Equal(start.AddSeconds(30), entry.IAmAliveTime);
        Assert.Equal(start, entry.StartTime);
    }

    [Fact]
    public async Task OfConcurrentWritersOfOneVersionExactlyOneWins()
    {
        var first = CreateTable();
        var second = CreateTable(sameStorageAs: first);
        const int writers = 8;

        // Every writer inserts its own row, re-reading after each lost race: the table version counts the wins.
        var losses = 0;
        await Task.WhenAll(Enumerable.Range(1, writers).Select(i => Task.Run(async () =>
        {
            var table = i % 2 == 0 ? first : second;
            while (true)
            {
                var read = await table.ReadAllAsync();
                if (await table.InsertRowAsync(Entry(i, SiloStatus.Joining), read.Version))
                {
                    return;
                }

                Interlocked.Increment(ref losses);
            }
        })));

        var data = await second.ReadAllAsync();
        Assert.Equal(writers, data.Entries.Count);
        Assert.Equal(writers, data.Version.Version);
        Assert.Equal(Enumerable.Range(1, writers).Select(Address), data.Entries.Select(e => e.Entry.SiloAddress).Order());
    }

    [Fact]
    public async Task HeartbeatOfAnUnknownSiloFails()
    {
        var table = CreateTable();

        await Assert.ThrowsAsync<MembershipTableException>(() => table.UpdateIAmAliveAsync(Address(9), DateTimeOffset.UnixEpoch));
    }

    protected static SiloAddress Address(int i) => new(new IPEndPoint(IPAddress.Loopback, 21000 + i), 7);

    protected static MembershipEntry Entry(int i, SiloStatus status) => new()
    {
        SiloAddress = Address(i),
        SiloName = $"silo{i}",
        Status = status,
        GatewayPort = 30000,
        StartTime = DateTimeOffset.UnixEpoch,
        IAmAliveTime = DateTimeOffset.UnixEpoch,
    };
}

public sealed class InMemoryMembershipTableTests : MembershipTableConformance
{
    private readonly Dictionary<IMembershipTable, IMembershipStorage> _storages = [];

    protected override IMembershipTable CreateTable(IMembershipTable? sameStorageAs = null)
    {
        var storage = sameStorageAs is null ? new InMemoryMembershipStorage() : _storages[sameStorageAs];
        var table = new MembershipTable(storage, ClusterId);
        _storages[table] = storage;
        return table;
    }
}

public sealed class FileMembershipTableTests : MembershipTableConformance, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "weir-membership-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<IMembershipTable, string> _directories = [];

    protected override IMembershipTable CreateTable(IMembershipTable? sameStorageAs = null)
    {
        var directory = sameStorageAs is null ? Path.Combine(_root, Guid.NewGuid().ToString("N")) : _directories[sameStorageAs];
        var table = new MembershipTable(new FileMembershipStorage(directory, ClusterId), ClusterId);
        _directories[table] = directory;
        return table;
    }

    [Fact]
    public async Task TheFileIsReadableJsonOfTheCluster()
    {
        var table = CreateTable();
        await table.InsertRowAsync(Entry(1, SiloStatus.Active), (await table.ReadAllAsync()).Version);

        var json = await File.ReadAllTextAsync(((MembershipTable)table).Location);

        Assert.Contains($"\"clusterId\": \"{ClusterId}\"", json, StringComparison.Ordinal);
        Assert.Contains("\"status\": \"Active\"", json, StringComparison.Ordinal);
        Assert.Contains(Address(1).ToString(), json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherClustersFileIsRefused()
    {
        var table = CreateTable();
        await table.InsertRowAsync(Entry(1, SiloStatus.Active), (await table.ReadAllAsync()).Version);
        var path = ((MembershipTable)table).Location;
        File.Copy(path, Path.Combine(Path.GetDirectoryName(path)!, "other.membership.json"));

        var other = new MembershipTable(new FileMembershipStorage(Path.GetDirectoryName(path)!, "other"), "other");

        var failure = await Assert.ThrowsAsync<MembershipTableException>(() => other.ReadAllAsync());
        Assert.Contains($"belongs to cluster '{ClusterId}'", failure.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}

[Collection(AzuriteCollection.Name)]
public sealed class BlobMembershipTableTests(AzuriteFixture azurite) : MembershipTableConformance
{
    private readonly Dictionary<IMembershipTable, Uri> _locations = [];

    protected override IMembershipTable CreateTable(IMembershipTable? sameStorageAs = null)
    {
        var location = sameStorageAs is null ? azurite.Process.LocationOf(AzuriteProcess.NewContainerName("membership"), "clusters") : _locations[sameStorageAs];
        var table = BlobMembershipTable.Create(location, ClusterId, azurite.Options());
        _locations[table] = location;
        return table;
    }

    [Fact]
    public async Task TheTableIsOneBlobBelowTheLocation()
    {
        var table = (MembershipTable)CreateTable();
        await table.InsertRowAsync(Entry(1, SiloStatus.Active), (await table.ReadAllAsync()).Version);

        Assert.EndsWith($"/clusters/{ClusterId}.membership.json", table.Location, StringComparison.Ordinal);
        Assert.DoesNotContain("AccountKey", table.Location, StringComparison.Ordinal);
    }
}

/// <summary>One Azurite process (from the repository's npm install) for the blob tests.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteProcess? _process;

    public AzuriteProcess Process => _process ?? throw new InvalidOperationException("Azurite has not started.");

    public BlobMembershipOptions Options()
    {
        var options = new BlobMembershipOptions { ConnectionString = Process.ConnectionString };
        options.Client.Retry.Delay = TimeSpan.FromMilliseconds(5);
        options.Client.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
        return options;
    }

    public async Task InitializeAsync() => _process = await AzuriteProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
