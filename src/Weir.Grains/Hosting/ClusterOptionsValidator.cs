using System.Net;
using Weir.Grains.Membership;

namespace Weir.Grains.Hosting;

/// <summary>Checks <see cref="ClusterOptions"/>; each failure names the option, its value and what is allowed.</summary>
internal static class ClusterOptionsValidator
{
    private const string Prefix = "SiloOptions.Cluster.";
    private static readonly TimeSpan MaxPeriod = TimeSpan.FromHours(1);

    public static void Validate(ClusterOptions options, bool customTableRegistered, List<string> failures)
    {
        if (!options.IsEnabled)
        {
            if (options.GatewayPort is not null)
            {
                failures.Add($"{Prefix}GatewayPort = {options.GatewayPort} is not allowed without {Prefix}ClusterId: a gateway serves a cluster; set ClusterId too.");
            }

            return;
        }

        var clusterId = options.ClusterId!;
        if (clusterId.Length is 0 or > 128 || !clusterId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            failures.Add($"{Prefix}ClusterId = '{clusterId}' is not allowed: it must be 1 to 128 ASCII letters, digits, '-', '_' or '.'.");
        }

        if (!IPAddress.TryParse(options.AdvertisedAddress, out _))
        {
            failures.Add($"{Prefix}AdvertisedAddress = '{options.AdvertisedAddress}' is not allowed: it must be an IPv4 or IPv6 address, e.g. 127.0.0.1.");
        }

        Port(nameof(ClusterOptions.SiloPort), options.SiloPort, failures);
        if (options.GatewayPort is { } gateway)
        {
            Port(nameof(ClusterOptions.GatewayPort), gateway, failures);
            if (gateway != 0 && gateway == options.SiloPort)
            {
                failures.Add($"{Prefix}GatewayPort = {gateway} is not allowed: it must differ from SiloPort ({options.SiloPort}).");
            }
        }

        switch (options.MembershipTable)
        {
            case MembershipTableKind.File when string.IsNullOrWhiteSpace(options.MembershipDirectory):
                failures.Add($"{Prefix}MembershipDirectory = '{options.MembershipDirectory}' is not allowed with MembershipTable = File: it must name the directory that the cluster's silos share.");
                break;
            case MembershipTableKind.Custom when !customTableRegistered:
                failures.Add($"{Prefix}MembershipTable = Custom is not allowed without a registered {nameof(IMembershipTable)}: register one (e.g. UseAzureBlobMembership) or choose File or InMemory.");
                break;
            case MembershipTableKind.File or MembershipTableKind.InMemory or MembershipTableKind.Custom:
                break;
            default:
                failures.Add($"{Prefix}MembershipTable = {options.MembershipTable} is not allowed: it must be File, InMemory or Custom.");
                break;
        }

        Period(nameof(ClusterOptions.ProbePeriod), options.ProbePeriod, failures);
        Period(nameof(ClusterOptions.ProbeTimeout), options.ProbeTimeout, failures);
        Period(nameof(ClusterOptions.DeathVoteExpiration), options.DeathVoteExpiration, failures);
        Period(nameof(ClusterOptions.IAmAlivePeriod), options.IAmAlivePeriod, failures);
        Period(nameof(ClusterOptions.TableRefreshPeriod), options.TableRefreshPeriod, failures);
        Period(nameof(ClusterOptions.HandshakeTimeout), options.HandshakeTimeout, failures);
        Period(nameof(ClusterOptions.ConnectTimeout), options.ConnectTimeout, failures);
        Range(nameof(ClusterOptions.NumMissedProbesLimit), options.NumMissedProbesLimit, 1, 100, failures);
        Range(nameof(ClusterOptions.NumProbedSilos), options.NumProbedSilos, 1, 1000, failures);
        Range(nameof(ClusterOptions.NumVotesForDeathDeclaration), options.NumVotesForDeathDeclaration, 1, 100, failures);
        Range(nameof(ClusterOptions.NumMissedTableIAmAliveLimit), options.NumMissedTableIAmAliveLimit, 1, 100, failures);
        Range(nameof(ClusterOptions.VirtualNodesPerSilo), options.VirtualNodesPerSilo, 1, 4096, failures);
        Range(nameof(ClusterOptions.MaxFrameBytes), options.MaxFrameBytes, 64 * 1024, 1024 * 1024 * 1024, failures);
        if (options.NumVotesForDeathDeclaration > options.NumProbedSilos)
        {
            failures.Add($"{Prefix}NumVotesForDeathDeclaration = {options.NumVotesForDeathDeclaration} is not allowed: it must be at most NumProbedSilos ({options.NumProbedSilos}), or no silo could ever be declared dead.");
        }

        if (options.DeathVoteExpiration > TimeSpan.Zero && options.DeathVoteExpiration <= options.ProbePeriod * options.NumMissedProbesLimit)
        {
            failures.Add($"{Prefix}DeathVoteExpiration = {options.DeathVoteExpiration} is not allowed: it must be longer than ProbePeriod x NumMissedProbesLimit ({options.ProbePeriod * options.NumMissedProbesLimit}), or votes expire before others can add theirs.");
        }
    }

    private static void Port(string option, int value, List<string> failures)
    {
        if (value is < 0 or > IPEndPoint.MaxPort)
        {
            failures.Add($"{Prefix}{option} = {value} is not allowed: it must be between 0 (a free port) and {IPEndPoint.MaxPort}.");
        }
    }

    private static void Period(string option, TimeSpan value, List<string> failures)
    {
        if (value <= TimeSpan.Zero || value > MaxPeriod)
        {
            failures.Add($"{Prefix}{option} = {value} is not allowed: it must be greater than zero and at most {MaxPeriod}.");
        }
    }

    private static void Range(string option, int value, int min, int max, List<string> failures)
    {
        if (value < min || value > max)
        {
            failures.Add($"{Prefix}{option} = {value} is not allowed: it must be between {min} and {max}.");
        }
    }
}
