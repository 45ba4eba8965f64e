namespace Weir.Grains.Membership;

/// <summary>
/// The cluster's membership table: one row per silo process, written with optimistic
/// concurrency. Implementations: <see cref="MembershipTable"/> over an
/// <see cref="IMembershipStorage"/> (in memory, a file in a shared directory, a blob), or any
/// store that keeps these guarantees.
/// </summary>
public interface IMembershipTable
{
    /// <summary>Every row and the table version, as one consistent snapshot.</summary>
    Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds a row; false (and no change) if a row with its address exists or the table version is
    /// no longer <paramref name="expectedVersion"/>. On success the table version increments.
    /// </summary>
    Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces a row; false (and no change) if the row's ETag is no longer <paramref name="etag"/>
    /// or the table version is no longer <paramref name="expectedVersion"/>. On success the table
    /// version increments. The row's heartbeat never moves backwards.
    /// </summary>
    Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>Records a heartbeat of <paramref name="silo"/>, unconditionally, without changing the table version.</summary>
    Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset iAmAliveTime, CancellationToken cancellationToken = default);
}

/// <summary>
/// Where a <see cref="MembershipTable"/> keeps its one document: read it with its ETag, and
/// replace it only if the ETag is unchanged (or create it only if there is none). The blob
/// storage maps these to <c>If-Match</c> and <c>If-None-Match: *</c>.
/// </summary>
public interface IMembershipStorage
{
    /// <summary>Where the document is, for messages (never with credentials).</summary>
    string Location { get; }

    /// <summary>The document and its ETag, or null if there is none yet.</summary>
    Task<StoredMembership?> ReadAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the document if its ETag is still <paramref name="expectedETag"/> (null: only if there
    /// is no document). Returns the new ETag, or null if the condition failed and nothing was written.
    /// </summary>
    Task<string?> TryWriteAsync(ReadOnlyMemory<byte> content, string? expectedETag, CancellationToken cancellationToken = default);
}

/// <summary>A stored membership document and the ETag of that version of it.</summary>
/// <param name="Content">The document's bytes.</param>
/// <param name="ETag">The storage's version of it.</param>
public sealed record StoredMembership(ReadOnlyMemory<byte> Content, string ETag);

/// <summary>The membership storage failed or holds something that is not this cluster's table.</summary>
public sealed class MembershipTableException(string message, Exception? inner = null) : Exception(message, inner);
