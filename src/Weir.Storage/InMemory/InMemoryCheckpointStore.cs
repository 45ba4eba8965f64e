using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Weir.Storage.InMemory;

/// <summary>
/// A checkpoint store in process memory, for tests and for jobs that need no durable checkpoints.
/// Leases are an owner and an expiry on the store's clock: an expired lease may be taken over.
/// </summary>
public sealed class InMemoryCheckpointStore(TimeProvider? timeProvider = null, string name = "default") : ICheckpointStore
{
    private readonly ConcurrentDictionary<string, (byte[] Bytes, DateTimeOffset Modified)> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Guid Owner, DateTimeOffset Expires)> _leases = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public Uri Location { get; } = new($"memory://{name}/");

    /// <summary>The number of stored files.</summary>
    public int Count => _files.Count;

    /// <inheritdoc />
    public async Task<StoredFile> WriteAsync(string path, Func<Stream, CancellationToken, ValueTask> content, WriteMode mode, CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(path);
        if (mode == WriteMode.CreateOnly && _files.ContainsKey(path))
        {
            throw new CheckpointFileExistsException(path, Location);
        }

        using var buffer = new MemoryStream();
        await content(buffer, cancellationToken);
        var entry = (buffer.ToArray(), _clock.GetUtcNow());
        if (mode == WriteMode.CreateOnly)
        {
            if (!_files.TryAdd(path, entry))
            {
                throw new CheckpointFileExistsException(path, Location);
            }
        }
        else
        {
            _files[path] = entry;
        }

        return new StoredFile(path, entry.Item1.Length, entry.Item2);
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(path);
        if (!_files.TryGetValue(path, out var file))
        {
            throw new CheckpointFileNotFoundException(path, Location);
        }

        var count = length ?? file.Bytes.Length - offset;
        if (offset < 0 || count < 0 || offset + count > file.Bytes.Length)
        {
            throw new CheckpointStoreException($"Range [{offset}, {offset + count}) is outside '{path}' in {Location}, which has {file.Bytes.Length} bytes.");
        }

        return Task.FromResult<Stream>(new MemoryStream(file.Bytes, (int)offset, (int)count, writable: false));
    }

    /// <inheritdoc />
    public Task<StoredFile?> GetFileAsync(string path, CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(path);
        return Task.FromResult(_files.TryGetValue(path, out var file) ? new StoredFile(path, file.Bytes.Length, file.Modified) : null);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredFile> ListFilesAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(directory, allowEmpty: true);
        var prefix = directory.Length == 0 ? string.Empty : directory + "/";
        foreach (var (path, file) in _files.ToArray())
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return new StoredFile(path, file.Bytes.Length, file.Modified);
            }
        }

        await Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListDirectoriesAsync(string directory, CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(directory, allowEmpty: true);
        var prefix = directory.Length == 0 ? string.Empty : directory + "/";
        IReadOnlyList<string> names = _files.Keys
            .Where(p => p.StartsWith(prefix, StringComparison.Ordinal) && p.IndexOf('/', prefix.Length) > 0)
            .Select(p => p[prefix.Length..p.IndexOf('/', prefix.Length)])
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToArray();
        return Task.FromResult(names);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(path);
        return Task.FromResult(_files.TryRemove(path, out _));
    }

    /// <inheritdoc />
    public Task<ICheckpointLease> AcquireLeaseAsync(string path, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(path);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        var owner = Guid.NewGuid();
        lock (_leases)
        {
            var now = _clock.GetUtcNow();
            if (_leases.TryGetValue(path, out var held) && held.Expires > now)
            {
                throw CheckpointLeaseException.HeldByAnother(path, Location, $"until {held.Expires:O}");
            }

            _files.TryAdd(path, ([], now));
            _leases[path] = (owner, now + duration);
        }

        return Task.FromResult<ICheckpointLease>(new Lease(this, path, owner, duration));
    }

    /// <summary>A lease: renewing restarts its duration while this owner still holds it, even after it expired (as Azure does).</summary>
    private sealed class Lease(InMemoryCheckpointStore store, string path, Guid owner, TimeSpan duration) : ICheckpointLease
    {
        public string Path => path;

        public Task RenewAsync(CancellationToken cancellationToken = default)
        {
            lock (store._leases)
            {
                if (!store._leases.TryGetValue(path, out var held) || held.Owner != owner)
                {
                    throw CheckpointLeaseException.Lost(path, store.Location, "it was released, or it expired and another holder took it");
                }

                store._leases[path] = (owner, store._clock.GetUtcNow() + duration);
            }

            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            lock (store._leases)
            {
                if (store._leases.TryGetValue(path, out var held) && held.Owner == owner)
                {
                    store._leases.Remove(path);
                }
            }

            return ValueTask.CompletedTask;
        }
    }
}
