using System.Collections.Concurrent;
using Weir.Grains.Membership;

namespace Weir.Grains.Cluster;

/// <summary>The in-memory tables of <see cref="Hosting.MembershipTableKind.InMemory"/>: one per cluster id, shared by the silos of this process.</summary>
internal static class InMemoryMembershipTables
{
    private static readonly ConcurrentDictionary<string, MembershipTable> Tables = new(StringComparer.Ordinal);

    public static MembershipTable For(string clusterId) =>
        Tables.GetOrAdd(clusterId, id => new MembershipTable(new InMemoryMembershipStorage($"memory:{id}"), id));
}
