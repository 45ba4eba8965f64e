using System.Security.Cryptography;

namespace Weir.Grains.Membership;

/// <summary>
/// A membership document as a JSON file in a directory that every silo of a local cluster
/// shares (<c>&lt;directory&gt;/&lt;cluster id&gt;.membership.json</c>).
///
/// Concurrency: a writer takes an exclusive lock on <c>&lt;file&gt;.lock</c> (an OS file lock,
/// released by the OS when the process dies, even by <c>kill -9</c>), compares the file's ETag
/// (a hash of its content) with the one it read, writes a temporary file and renames it over
/// the document. Readers take no lock: a rename is atomic, so they see the old or the new
/// document, never half of one.
/// </summary>
public sealed class FileMembershipStorage : IMembershipStorage
{
    /// <summary>How long a writer waits for the lock before giving up.</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    private readonly string _path;
    private readonly string _lockPath;
    private readonly TimeProvider _timeProvider;

    /// <summary>The table of <paramref name="clusterId"/> in <paramref name="directory"/> (created on the first write).</summary>
    public FileMembershipStorage(string directory, string clusterId, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        _path = Path.Combine(Path.GetFullPath(directory), $"{clusterId}.membership.json");
        _lockPath = _path + ".lock";
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Location => _path;

    /// <inheritdoc />
    public async Task<StoredMembership?> ReadAsync(CancellationToken cancellationToken = default)
    {
        var content = await ReadContentAsync(cancellationToken).ConfigureAwait(false);
        return content is null ? null : new StoredMembership(content, ETagOf(content));
    }

    /// <inheritdoc />
    public async Task<string?> TryWriteAsync(ReadOnlyMemory<byte> content, string? expectedETag, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        using var fileLock = await AcquireLockAsync(cancellationToken).ConfigureAwait(false);
        var current = await ReadContentAsync(cancellationToken).ConfigureAwait(false);
        var matches = expectedETag is null ? current is null : current is not null && ETagOf(current) == expectedETag;
        if (!matches)
        {
            return null;
        }

        var temporary = $"{_path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, _path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        return ETagOf(content.Span);
    }

    private async Task<byte[]?> ReadContentAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.Asynchronous);
            if (stream.Length > MembershipDocument.MaxBytes)
            {
                throw new MembershipTableException($"The membership table at {_path} has {stream.Length} bytes, more than the {MembershipDocument.MaxBytes} a table may have: it is corrupt.");
            }

            var content = new byte[stream.Length];
            await stream.ReadExactlyAsync(content, cancellationToken).ConfigureAwait(false);
            return content;
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private async Task<FileStream> AcquireLockAsync(CancellationToken cancellationToken)
    {
        var started = _timeProvider.GetTimestamp();
        var attempt = 0;
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive OS lock (flock on Unix): one writer at a time, across processes.
                return new FileStream(_lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (_timeProvider.GetElapsedTime(started) < LockTimeout)
            {
                attempt++;
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(20, 1 + attempt)), _timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException exception)
            {
                throw new MembershipTableException($"The lock {_lockPath} of the membership table was held for more than {LockTimeout.TotalSeconds:0} s.", exception);
            }
        }
    }

    private static string ETagOf(ReadOnlySpan<byte> content) => Convert.ToHexString(SHA256.HashData(content).AsSpan(0, 12));
}
