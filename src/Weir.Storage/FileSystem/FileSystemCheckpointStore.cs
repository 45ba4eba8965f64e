using System.Runtime.CompilerServices;

namespace Weir.Storage.FileSystem;

/// <summary>
/// A checkpoint store in a local directory (the embedded default). A write goes to a hidden
/// temporary file in the target directory, is flushed to disk, then renamed into place: a
/// create-only rename fails if the target exists (atomic on POSIX: link, then unlink), so two
/// racing writers of one <c>_metadata</c> cannot both succeed. A lease is an exclusive OS lock on
/// its file (<see cref="FileLockLease"/>), released when its process dies.
///
/// A large write is flushed to disk every <see cref="DurableStep"/> bytes as it goes, not only at
/// its end: on journaling file systems an fsync can wait for every file's dirty data, so a
/// materialization of hundreds of megabytes flushed at once would stall the small checkpoint
/// files written meanwhile for its whole length.
/// </summary>
public sealed class FileSystemCheckpointStore : ICheckpointStore
{
    private const string TemporaryPrefix = ".weir-tmp-";
    private const int BufferSize = 1 << 20;

    /// <summary>
    /// A write's buffer: under the large object heap's threshold, so writing a file allocates no large
    /// object; writes as large as it (state files' key-group blocks) go straight to the file uncopied.
    /// </summary>
    private const int WriteBufferSize = 64 << 10;
    private const long DurableStep = 16L << 20;
    private readonly string _root;

    /// <summary>Creates a store rooted at <paramref name="rootDirectory"/> (created if missing).</summary>
    public FileSystemCheckpointStore(string rootDirectory)
    {
        _root = Path.GetFullPath(rootDirectory);
        Directory.CreateDirectory(_root);
        Location = new Uri(_root.EndsWith(Path.DirectorySeparatorChar) ? _root : _root + Path.DirectorySeparatorChar);
    }

    /// <inheritdoc />
    public Uri Location { get; }

    /// <summary>The absolute root directory.</summary>
    public string RootDirectory => _root;

    /// <inheritdoc />
    public async Task<StoredFile> WriteAsync(string path, Func<Stream, CancellationToken, ValueTask> content, WriteMode mode, CancellationToken cancellationToken = default)
    {
        var target = FullPath(path);
        if (StoragePath.Name(path).StartsWith(TemporaryPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Checkpoint store path '{path}' is not valid: names starting with '{TemporaryPrefix}' are reserved.", nameof(path));
        }

        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        if (mode == WriteMode.CreateOnly && File.Exists(target))
        {
            throw new CheckpointFileExistsException(path, Location);
        }

        var temporary = Path.Combine(directory, $"{TemporaryPrefix}{Guid.NewGuid():N}");
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, WriteBufferSize, FileOptions.Asynchronous))
            {
                await content(new SteppedFlushStream(stream, DurableStep), cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(temporary, target, overwrite: mode == WriteMode.Overwrite);
            }
            catch (IOException) when (mode == WriteMode.CreateOnly && File.Exists(target))
            {
                throw new CheckpointFileExistsException(path, Location);
            }
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        var info = new FileInfo(target);
        return new StoredFile(path, info.Length, info.LastWriteTimeUtc);
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        var full = FullPath(path);
        FileStream stream;
        try
        {
            stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointFileNotFoundException(path, Location);
        }

        if (offset < 0 || offset > stream.Length || (length is { } l && (l < 0 || offset + l > stream.Length)))
        {
            var size = stream.Length;
            stream.Dispose();
            throw new CheckpointStoreException($"Range [{offset}, {offset + length}) is outside '{path}' in {Location}, which has {size} bytes.");
        }

        stream.Seek(offset, SeekOrigin.Begin);
        return Task.FromResult<Stream>(length is { } window ? new ReadWindowStream(stream, window) : stream);
    }

    /// <inheritdoc />
    public Task<StoredFile?> GetFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(FullPath(path));
        return Task.FromResult(info.Exists ? new StoredFile(path, info.Length, info.LastWriteTimeUtc) : null);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredFile> ListFilesAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var full = FullPath(directory, allowRoot: true);
        if (!Directory.Exists(full))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Path.GetFileName(file).StartsWith(TemporaryPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var info = new FileInfo(file);
            if (info.Exists)
            {
                yield return new StoredFile(Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/'), info.Length, info.LastWriteTimeUtc);
            }
        }

        await Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListDirectoriesAsync(string directory, CancellationToken cancellationToken = default)
    {
        var full = FullPath(directory, allowRoot: true);
        IReadOnlyList<string> names = Directory.Exists(full)
            ? Directory.EnumerateDirectories(full).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray()
            : [];
        return Task.FromResult(names);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = FullPath(path);
        if (!File.Exists(full))
        {
            return Task.FromResult(false);
        }

        File.Delete(full);
        PruneEmptyDirectories(Path.GetDirectoryName(full)!);
        return Task.FromResult(true);
    }

    /// <inheritdoc />
    /// <remarks>The lease is an exclusive OS lock on the file, held until release or until the process dies; <paramref name="duration"/> is not used.</remarks>
    public Task<ICheckpointLease> AcquireLeaseAsync(string path, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var full = FullPath(path);
        if (StoragePath.Name(path).StartsWith(TemporaryPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Checkpoint store path '{path}' is not valid: names starting with '{TemporaryPrefix}' are reserved.", nameof(path));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return Task.FromResult<ICheckpointLease>(FileLockLease.Acquire(full, path, Location));
    }

    private string FullPath(string path, bool allowRoot = false)
    {
        StoragePath.Validate(path, allowEmpty: allowRoot);
        return path.Length == 0 ? _root : Path.Combine(_root, path.Replace('/', Path.DirectorySeparatorChar));
    }

    // A deleted checkpoint leaves no empty chk-n directory behind.
    private void PruneEmptyDirectories(string directory)
    {
        try
        {
            while (directory.Length > _root.Length && directory.StartsWith(_root, StringComparison.Ordinal) && !Directory.EnumerateFileSystemEntries(directory).Any())
            {
                Directory.Delete(directory);
                directory = Path.GetDirectoryName(directory)!;
            }
        }
        catch (IOException)
        {
            // A concurrent writer created something: the directory stays.
        }
    }

    /// <summary>Passes writes through to a file and flushes it to disk each time another <c>step</c> bytes were written.</summary>
    private sealed class SteppedFlushStream(FileStream inner, long step) : Stream
    {
        private long _sinceFlush;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            if ((_sinceFlush += buffer.Length) >= step)
            {
                _sinceFlush = 0;
                inner.Flush(flushToDisk: true);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            if ((_sinceFlush += buffer.Length) >= step)
            {
                _sinceFlush = 0;
                await inner.FlushAsync(cancellationToken);
                inner.Flush(flushToDisk: true);
            }
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
        }
    }
}
