using System.Net;

namespace Weir.Grains.Membership;

/// <summary>
/// Where a silo is in its life, as the membership table records it. A silo moves only forward:
/// Joining → Active → ShuttingDown → Dead (or straight to Dead when the others vote it dead).
/// </summary>
public enum SiloStatus
{
    /// <summary>No status (not in the table).</summary>
    None = 0,

    /// <summary>Starting: registered, not yet taking grains.</summary>
    Joining = 1,

    /// <summary>Serving: in the placement ring, probed by the others.</summary>
    Active = 2,

    /// <summary>Stopping gracefully: out of the ring, deactivating its grains.</summary>
    ShuttingDown = 3,

    /// <summary>Gone: stopped, or declared dead by the votes of others. A dead silo never comes back; its restart is a new generation.</summary>
    Dead = 4,
}

/// <summary>A silo's vote that another silo is dead, and when it was cast.</summary>
/// <param name="Voter">The silo that suspects.</param>
/// <param name="Time">When it suspected, on the voter's clock.</param>
public readonly record struct SuspectVote(SiloAddress Voter, DateTimeOffset Time);

/// <summary>One row of the membership table: one silo process.</summary>
public sealed record MembershipEntry
{
    /// <summary>The silo's address and generation: the row's key.</summary>
    public required SiloAddress SiloAddress { get; init; }

    /// <summary>The silo's name, for people.</summary>
    public required string SiloName { get; init; }

    /// <summary>Where the silo is in its life.</summary>
    public SiloStatus Status { get; init; }

    /// <summary>The port grain clients connect to on the silo's address, or null when the silo is no gateway.</summary>
    public int? GatewayPort { get; init; }

    /// <summary>When the silo started.</summary>
    public DateTimeOffset StartTime { get; init; }

    /// <summary>The silo's last heartbeat in the table.</summary>
    public DateTimeOffset IAmAliveTime { get; init; }

    /// <summary>Votes of other silos that this one is dead.</summary>
    public IReadOnlyList<SuspectVote> SuspectTimes { get; init; } = [];

    /// <summary>The gateway endpoint, if the silo is a gateway.</summary>
    public IPEndPoint? GatewayEndpoint => GatewayPort is { } port ? new IPEndPoint(SiloAddress.Endpoint.Address, port) : null;

    /// <inheritdoc />
    public override string ToString() => $"{SiloName} {SiloAddress} {Status}";
}

/// <summary>
/// The version of the whole table. Every change of a row's status or votes increments it, and
/// writes name the version they read: of two silos that read version n, only the first to write
/// succeeds (optimistic concurrency, as Orleans's membership protocol requires).
/// </summary>
/// <param name="Version">Increments with every row insert or update.</param>
/// <param name="ETag">Identifies <paramref name="Version"/> in the storage.</param>
public readonly record struct TableVersion(int Version, string ETag);

/// <summary>A row with the ETag that an update of it must name.</summary>
/// <param name="Entry">The row.</param>
/// <param name="ETag">The row's version.</param>
public readonly record struct VersionedEntry(MembershipEntry Entry, string ETag);

/// <summary>What <see cref="IMembershipTable.ReadAllAsync"/> returns: every row and the table version, read together.</summary>
public sealed class MembershipTableData
{
    /// <summary>Creates a snapshot of the table.</summary>
    public MembershipTableData(IReadOnlyList<VersionedEntry> entries, TableVersion version)
    {
        Entries = entries;
        Version = version;
    }

    /// <summary>The rows.</summary>
    public IReadOnlyList<VersionedEntry> Entries { get; }

    /// <summary>The table version the rows belong to.</summary>
    public TableVersion Version { get; }

    /// <summary>The row of <paramref name="silo"/>, if any.</summary>
    public VersionedEntry? Find(SiloAddress silo)
    {
        foreach (var entry in Entries)
        {
            if (entry.Entry.SiloAddress.Equals(silo))
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>The gateways of the active silos: where grain clients may connect.</summary>
    public IReadOnlyList<IPEndPoint> ActiveGateways =>
        Entries.Where(e => e.Entry.Status == SiloStatus.Active).Select(e => e.Entry.GatewayEndpoint).OfType<IPEndPoint>().ToList();

    /// <inheritdoc />
    public override string ToString() => $"v{Version.Version}: {string.Join(", ", Entries.Select(e => e.Entry))}";
}
