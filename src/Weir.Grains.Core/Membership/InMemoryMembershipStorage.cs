using System.Globalization;

namespace Weir.Grains.Membership;

/// <summary>
/// A membership document in memory: for tests and for several silos in one process. Its
/// operations complete synchronously, so tests on a manual clock stay deterministic.
/// </summary>
public sealed class InMemoryMembershipStorage(string location = "memory") : IMembershipStorage
{
    private readonly object _lock = new();
    private byte[]? _content;
    private long _version;

    /// <inheritdoc />
    public string Location { get; } = location;

    /// <summary>Successful writes so far.</summary>
    public long Writes
    {
        get
        {
            lock (_lock)
            {
                return _version;
            }
        }
    }

    /// <inheritdoc />
    public Task<StoredMembership?> ReadAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_content is null ? null : new StoredMembership(_content, ETag(_version)));
        }
    }

    /// <inheritdoc />
    public Task<string?> TryWriteAsync(ReadOnlyMemory<byte> content, string? expectedETag, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var matches = expectedETag is null ? _content is null : _content is not null && ETag(_version) == expectedETag;
            if (!matches)
            {
                return Task.FromResult<string?>(null);
            }

            _content = content.ToArray();
            _version++;
            return Task.FromResult<string?>(ETag(_version));
        }
    }

    private static string ETag(long version) => version.ToString(CultureInfo.InvariantCulture);
}
