using System.Globalization;

namespace Weir.Grains.Membership;

/// <summary>
/// The membership table kept as one document in an <see cref="IMembershipStorage"/>. Each
/// operation reads the document, checks its preconditions (table version, row ETag) against
/// what it read, and writes the whole document back on the condition that nobody wrote it in
/// between; if somebody did, it reads again and checks again. So the table's guarantees rest
/// on one compare-and-swap, which a file with a lock, a blob with <c>If-Match</c> and a variable
/// in memory all provide.
/// </summary>
public sealed class MembershipTable : IMembershipTable
{
    private const int MaxAttempts = 64;
    private readonly IMembershipStorage _storage;
    private readonly string _clusterId;

    /// <summary>Creates a table of cluster <paramref name="clusterId"/> in <paramref name="storage"/>.</summary>
    public MembershipTable(IMembershipStorage storage, string clusterId)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        _storage = storage;
        _clusterId = clusterId;
    }

    /// <summary>Where the table is kept.</summary>
    public string Location => _storage.Location;

    /// <inheritdoc />
    public async Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        var (document, _) = await ReadAsync(cancellationToken).ConfigureAwait(false);
        return new MembershipTableData(document.Rows.Select(r => r.ToEntry(Location)).ToList(), document.TableVersion);
    }

    /// <inheritdoc />
    public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return MutateAsync(
            document =>
            {
                if (document.TableVersion != expectedVersion || document.Find(entry.SiloAddress) is not null)
                {
                    return false;
                }

                document.Rows.Add(MembershipRow.From(entry, etag: 1));
                document.Version++;
                return true;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(etag);
        return MutateAsync(
            document =>
            {
                var row = document.Find(entry.SiloAddress);
                if (document.TableVersion != expectedVersion || row is null || row.ETag.ToString(CultureInfo.InvariantCulture) != etag)
                {
                    return false;
                }

                var updated = MembershipRow.From(entry, row.ETag + 1);
                if (row.IAmAliveTime > updated.IAmAliveTime)
                {
                    updated.IAmAliveTime = row.IAmAliveTime;
                }

                document.Rows[document.Rows.IndexOf(row)] = updated;
                document.Version++;
                return true;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset iAmAliveTime, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var found = await MutateAsync(
            document =>
            {
                var row = document.Find(silo);
                if (row is null)
                {
                    return false;
                }

                if (row.IAmAliveTime < iAmAliveTime)
                {
                    row.IAmAliveTime = iAmAliveTime;
                }

                return true;
            },
            cancellationToken).ConfigureAwait(false);
        if (!found)
        {
            throw new MembershipTableException($"The membership table at {Location} has no row of silo {silo} to record its heartbeat in.");
        }
    }

    private async Task<(MembershipDocument Document, string? ETag)> ReadAsync(CancellationToken cancellationToken)
    {
        var stored = await _storage.ReadAsync(cancellationToken).ConfigureAwait(false);
        return stored is null
            ? (MembershipDocument.Empty(_clusterId), null)
            : (MembershipDocument.Parse(stored.Content.Span, _clusterId, Location), stored.ETag);
    }

    /// <summary>Applies <paramref name="change"/> to the latest document and writes it if nobody wrote in between; false if the change's preconditions failed.</summary>
    private async Task<bool> MutateAsync(Func<MembershipDocument, bool> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var (document, etag) = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (!change(document))
            {
                return false;
            }

            document.PruneDeadRows();
            if (await _storage.TryWriteAsync(document.ToUtf8(), etag, cancellationToken).ConfigureAwait(false) is not null)
            {
                return true;
            }
        }

        throw new MembershipTableException($"The membership table at {Location} changed under {MaxAttempts} write attempts in a row; giving up this write.");
    }
}
