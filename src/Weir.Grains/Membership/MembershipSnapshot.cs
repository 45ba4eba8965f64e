namespace Weir.Grains.Membership;

/// <summary>This silo's latest reading of the membership table: immutable, replaced on each change.</summary>
internal sealed class MembershipSnapshot
{
    public static readonly MembershipSnapshot Empty = new(new MembershipTableData([], new TableVersion(-1, string.Empty)));

    public MembershipSnapshot(MembershipTableData table)
    {
        Table = table;
        Version = table.Version.Version;
        Entries = table.Entries.Select(e => e.Entry).ToList();
        ActiveSilos = Entries.Where(e => e.Status == SiloStatus.Active).Select(e => e.SiloAddress).Order().ToList();
    }

    public MembershipTableData Table { get; }

    public int Version { get; }

    public IReadOnlyList<MembershipEntry> Entries { get; }

    /// <summary>Active silos in address order.</summary>
    public IReadOnlyList<SiloAddress> ActiveSilos { get; }

    public SiloStatus StatusOf(SiloAddress silo) => Entries.FirstOrDefault(e => e.SiloAddress.Equals(silo))?.Status ?? SiloStatus.None;

    public bool IsDead(SiloAddress silo) => StatusOf(silo) == SiloStatus.Dead;

    /// <summary>Active silos' gateways.</summary>
    public IReadOnlyList<System.Net.IPEndPoint> Gateways => Table.ActiveGateways;

    public override string ToString() => $"v{Version}: {string.Join(", ", Entries)}";
}
