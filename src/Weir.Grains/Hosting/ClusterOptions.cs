namespace Weir.Grains.Hosting;

/// <summary>Which membership table a clustered silo uses.</summary>
public enum MembershipTableKind
{
    /// <summary>A JSON file in <see cref="ClusterOptions.MembershipDirectory"/>, shared by the silos of a local cluster.</summary>
    File,

    /// <summary>A table in this process's memory, shared by the silos of one process with the same cluster id (tests, demos).</summary>
    InMemory,

    /// <summary>The <see cref="Membership.IMembershipTable"/> registered in the services (e.g. the blob table of Weir.Grains.AzureBlob).</summary>
    Custom,
}

/// <summary>
/// How a silo joins a cluster: identity, ports, membership table, and the timing of failure
/// detection. With <see cref="ClusterId"/> unset the silo runs alone and opens no port.
///
/// Failure detection follows Orleans: every <see cref="ProbePeriod"/> a silo probes up to
/// <see cref="NumProbedSilos"/> others directly over the transport; after
/// <see cref="NumMissedProbesLimit"/> missed probes in a row it suspects the silent silo and
/// votes in the table; <see cref="NumVotesForDeathDeclaration"/> fresh votes (younger than
/// <see cref="DeathVoteExpiration"/>; fewer in a small cluster: at most half the active silos)
/// declare it dead. The defaults declare a killed silo dead within about 4 s.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>The cluster this silo belongs to; only silos and clients with the same id talk to each other. Null: a single silo.</summary>
    public string? ClusterId { get; set; }

    /// <summary>The IP address this silo listens on and advertises to the others. Default 127.0.0.1 (a cluster on one machine).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>The TCP port of silo-to-silo connections; 0 picks a free port. Default 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The TCP port grain clients connect to; 0 picks a free port; null opens no gateway. Default null.</summary>
    public int? GatewayPort { get; set; }

    /// <summary>Which membership table to use. Default <see cref="MembershipTableKind.File"/>.</summary>
    public MembershipTableKind MembershipTable { get; set; } = MembershipTableKind.File;

    /// <summary>The shared directory of the file table (<see cref="MembershipTableKind.File"/>).</summary>
    public string? MembershipDirectory { get; set; }

    /// <summary>How often a silo probes each silo it monitors. Default 1 s.</summary>
    public TimeSpan ProbePeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a probe may go unanswered before it counts as missed. Default 1 s.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Missed probes in a row after which a silo is suspected. Default 3.</summary>
    public int NumMissedProbesLimit { get; set; } = 3;

    /// <summary>How many other silos each silo probes. Default 10.</summary>
    public int NumProbedSilos { get; set; } = 10;

    /// <summary>Fresh votes that declare a silo dead (at most half the active silos are asked for in small clusters). Default 2.</summary>
    public int NumVotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How long a vote counts. Default 2 min.</summary>
    public TimeSpan DeathVoteExpiration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often a silo writes its heartbeat to the table. Default 5 s.</summary>
    public TimeSpan IAmAlivePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Heartbeats a silo may miss before its row counts as stale (not counted among active silos when votes are tallied). Default 3.</summary>
    public int NumMissedTableIAmAliveLimit { get; set; } = 3;

    /// <summary>How often a silo reads the table even without news from others. Default 5 s.</summary>
    public TimeSpan TableRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest frame sent or accepted on a connection, in bytes. Default 16 MiB.</summary>
    public int MaxFrameBytes { get; set; } = Transport.ConnectionOptions.DefaultMaxFrameBytes;

    /// <summary>How long a connecting peer may take for the handshake. Default 5 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a TCP connect to another silo may take. Default 2 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Points of each silo on the placement ring; more spread grains more evenly. Default 64.</summary>
    public int VirtualNodesPerSilo { get; set; } = 64;

    /// <summary>True when <see cref="ClusterId"/> is set.</summary>
    public bool IsEnabled => ClusterId is not null;

    internal TimeSpan IAmAliveStaleAfter => IAmAlivePeriod * NumMissedTableIAmAliveLimit;

    internal Transport.ConnectionOptions ToConnectionOptions(TimeProvider timeProvider) => new()
    {
        MaxFrameBytes = MaxFrameBytes,
        HandshakeTimeout = HandshakeTimeout,
        ConnectTimeout = ConnectTimeout,
        TimeProvider = timeProvider,
    };
}
