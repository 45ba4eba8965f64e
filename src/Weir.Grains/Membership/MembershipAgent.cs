using Microsoft.Extensions.Logging;
using Weir.Grains.Hosting;

namespace Weir.Grains.Membership;

/// <summary>
/// This silo's side of the membership protocol (after Orleans's MembershipTableManager).
///
/// Join: insert a Joining row, declare earlier generations of this endpoint dead (a restarted
/// silo replaces its predecessor at once instead of waiting for votes), then become Active.
/// While running: write a heartbeat every <see cref="ClusterOptions.IAmAlivePeriod"/>, read the
/// table every <see cref="ClusterOptions.TableRefreshPeriod"/> and whenever another silo says it
/// changed, and vote for suspects (<see cref="TrySuspectOrKillAsync"/>). Leave: ShuttingDown,
/// then Dead. Every write names the table version and row ETag it read; on a conflict the agent
/// reads again and decides again. Each reading that changes the table version becomes a new
/// <see cref="Snapshot"/>; finding this silo's own row Dead (voted dead by the others) raises
/// <see cref="DeclaredDead"/>, and the silo stops.
/// </summary>
internal sealed class MembershipAgent : IDisposable
{
    private const int MaxWriteAttempts = 32;
    private readonly IMembershipTable _table;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly string _clusterId;
    private readonly string _location;
    private readonly object _publishLock = new();
    private volatile MembershipSnapshot _snapshot = MembershipSnapshot.Empty;
    private ITimer? _heartbeatTimer;
    private ITimer? _refreshTimer;
    private int _refreshRequested;
    private int _refreshRunning;
    private int _declaredDeadRaised;
    private volatile bool _leaving;
    private volatile bool _stopped;

    public MembershipAgent(IMembershipTable table, ClusterOptions options, string location, TimeProvider clock, ILogger logger)
    {
        _table = table;
        _options = options;
        _clusterId = options.ClusterId ?? throw new ArgumentException("A membership agent needs a cluster id.", nameof(options));
        _location = location;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>Raised after each reading that changed the table version, in order.</summary>
    public event Action<MembershipSnapshot>? SnapshotChanged;

    /// <summary>Raised once when the table says this silo is dead and this silo did not put it there.</summary>
    public event Action? DeclaredDead;

    /// <summary>Raised after this silo changed the table, so the others can be told to read it.</summary>
    public event Action<int>? TableWritten;

    public SiloAddress? LocalSilo { get; private set; }

    public MembershipSnapshot Snapshot => _snapshot;

    /// <summary>Registers this silo (Joining), declares its endpoint's earlier generations dead, and becomes Active.</summary>
    public async Task JoinAsync(SiloAddress localSilo, string siloName, int? gatewayPort, CancellationToken cancellationToken)
    {
        LocalSilo = localSilo;
        var now = _clock.GetUtcNow();
        var entry = new MembershipEntry
        {
            SiloAddress = localSilo,
            SiloName = siloName,
            Status = SiloStatus.Joining,
            GatewayPort = gatewayPort,
            StartTime = now,
            IAmAliveTime = now,
        };
        await ChangeAsync("join", table => table.Find(localSilo) is null ? new TableWrite(entry, null) : null, cancellationToken).ConfigureAwait(false);

        while (await ChangeAsync("declare an earlier generation dead", DeclareEarlierGenerationDead, cancellationToken).ConfigureAwait(false))
        {
        }

        await UpdateOwnStatusAsync(SiloStatus.Active, cancellationToken).ConfigureAwait(false);
        MembershipLog.Joined(_logger, localSilo, siloName, _clusterId, SiloStatus.Active, _location);
    }

    /// <summary>Starts the heartbeat and refresh timers.</summary>
    public void Start()
    {
        _heartbeatTimer = _clock.CreateTimer(_ => _ = Guarded("heartbeat", HeartbeatAsync), null, _options.IAmAlivePeriod, _options.IAmAlivePeriod);
        _refreshTimer = _clock.CreateTimer(_ => RequestRefresh(), null, _options.TableRefreshPeriod, _options.TableRefreshPeriod);
    }

    /// <summary>Writes this silo's heartbeat.</summary>
    public async Task HeartbeatAsync(CancellationToken cancellationToken = default)
    {
        if (_stopped || LocalSilo is null || _snapshot.IsDead(LocalSilo))
        {
            return;
        }

        await _table.UpdateIAmAliveAsync(LocalSilo, _clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the table and publishes what changed.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default) =>
        Publish(await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>Reads the table soon, in the background; requests while a read runs coalesce into one more read.</summary>
    public void RequestRefresh()
    {
        Volatile.Write(ref _refreshRequested, 1);
        if (!_stopped && Interlocked.CompareExchange(ref _refreshRunning, 1, 0) == 0)
        {
            _ = Task.Run(RefreshLoopAsync);
        }
    }

    /// <summary>
    /// Votes <paramref name="suspect"/> dead, declaring it dead when the votes suffice
    /// (<see cref="DeathVote"/>). Returns true if this call declared it dead.
    /// </summary>
    public async Task<bool> TrySuspectOrKillAsync(SiloAddress suspect, CancellationToken cancellationToken = default)
    {
        if (_stopped || LocalSilo is null)
        {
            return false;
        }

        DeathVote.Decision decision = default;
        var written = await ChangeAsync(
            "suspect",
            table =>
            {
                var self = table.Find(LocalSilo);
                var row = table.Find(suspect);
                if (self is null || self.Value.Entry.Status == SiloStatus.Dead || row is null || row.Value.Entry.Status == SiloStatus.Dead)
                {
                    return null;
                }

                decision = DeathVote.Decide(
                    row.Value.Entry,
                    LocalSilo,
                    _clock.GetUtcNow(),
                    table.Entries.Select(e => e.Entry).ToList(),
                    _options.NumVotesForDeathDeclaration,
                    _options.DeathVoteExpiration,
                    _options.IAmAliveStaleAfter);
                var status = decision.DeclareDead ? SiloStatus.Dead : row.Value.Entry.Status;
                return new TableWrite(row.Value.Entry with { SuspectTimes = decision.Votes, Status = status }, row.Value.ETag);
            },
            cancellationToken).ConfigureAwait(false);
        if (!written)
        {
            return false;
        }

        if (decision.DeclareDead)
        {
            MembershipLog.DeclaredDead(_logger, suspect, decision.FreshVotes, string.Join(", ", decision.Votes.Select(v => v.Voter)));
        }
        else
        {
            MembershipLog.Voted(_logger, suspect, decision.FreshVotes, decision.RequiredVotes);
        }

        return decision.DeclareDead;
    }

    /// <summary>Moves this silo's row forward to <paramref name="status"/> (never backwards, never out of Dead).</summary>
    public async Task UpdateOwnStatusAsync(SiloStatus status, CancellationToken cancellationToken = default)
    {
        var local = LocalSilo ?? throw new InvalidOperationException("The silo has not joined.");
        if (status == SiloStatus.Dead)
        {
            _leaving = true;
        }

        var written = await ChangeAsync(
            $"become {status}",
            table =>
            {
                var mine = table.Find(local) ?? throw new MembershipTableException($"The membership table at {_location} lost the row of this silo {local}.");
                return mine.Entry.Status >= status
                    ? null
                    : new TableWrite(mine.Entry with { Status = status, IAmAliveTime = _clock.GetUtcNow() }, mine.ETag);
            },
            cancellationToken).ConfigureAwait(false);
        if (written)
        {
            MembershipLog.StatusChanged(_logger, local, status);
        }
    }

    /// <summary>Stops the timers; no more writes or reads start.</summary>
    public void Stop()
    {
        _stopped = true;
        _heartbeatTimer?.Dispose();
        _refreshTimer?.Dispose();
    }

    public void Dispose() => Stop();

    private TableWrite? DeclareEarlierGenerationDead(MembershipTableData table)
    {
        var local = LocalSilo!;
        foreach (var (entry, etag) in table.Entries)
        {
            if (entry.SiloAddress.HasSameEndpoint(local) && entry.SiloAddress.Generation < local.Generation && entry.Status != SiloStatus.Dead)
            {
                MembershipLog.EarlierGenerationDead(_logger, entry.SiloAddress);
                return new TableWrite(entry with { Status = SiloStatus.Dead }, etag);
            }
        }

        return null;
    }

    /// <summary>
    /// Reads the table, asks <paramref name="decide"/> what to write, and writes it with the version
    /// and ETag it read; on a conflict, reads and decides again. False if there was nothing to write.
    /// </summary>
    private async Task<bool> ChangeAsync(string operation, Func<MembershipTableData, TableWrite?> decide, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxWriteAttempts; attempt++)
        {
            var table = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
            Publish(table);
            if (decide(table) is not { } write)
            {
                return false;
            }

            var done = write.ETag is null
                ? await _table.InsertRowAsync(write.Entry, table.Version, cancellationToken).ConfigureAwait(false)
                : await _table.UpdateRowAsync(write.Entry, write.ETag, table.Version, cancellationToken).ConfigureAwait(false);
            if (done)
            {
                Publish(await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false));
                TableWritten?.Invoke(_snapshot.Version);
                return true;
            }
        }

        throw new MembershipTableException($"Could not {operation} in the membership table at {_location}: {MaxWriteAttempts} attempts met concurrent changes.");
    }

    private void Publish(MembershipTableData table)
    {
        MembershipSnapshot snapshot;
        lock (_publishLock)
        {
            var previous = _snapshot;
            if (table.Version.Version < previous.Version)
            {
                return;
            }

            snapshot = new MembershipSnapshot(table);
            _snapshot = snapshot;
            if (snapshot.Version != previous.Version)
            {
                MembershipLog.TableChanged(_logger, snapshot.Version, snapshot.ToString());
                SnapshotChanged?.Invoke(snapshot);
            }
        }

        if (LocalSilo is { } local && !_leaving && snapshot.IsDead(local) && Interlocked.Exchange(ref _declaredDeadRaised, 1) == 0)
        {
            MembershipLog.SelfDeclaredDead(_logger, local);
            Stop();
            DeclaredDead?.Invoke();
        }
    }

    private async Task RefreshLoopAsync()
    {
        try
        {
            while (!_stopped && Interlocked.Exchange(ref _refreshRequested, 0) == 1)
            {
                await Guarded("refresh", RefreshAsync).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _refreshRunning, 0);
        }

        if (Volatile.Read(ref _refreshRequested) == 1)
        {
            RequestRefresh();
        }
    }

    private async Task Guarded(string operation, Func<CancellationToken, Task> action)
    {
        try
        {
            await action(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            MembershipLog.OperationFailed(_logger, exception, operation);
        }
    }

    /// <summary>A row to write: an insert when <see cref="ETag"/> is null, else an update of that version of the row.</summary>
    private readonly record struct TableWrite(MembershipEntry Entry, string? ETag);
}
