using System.Text;

namespace Weir.Storage.FileSystem;

/// <summary>
/// A lease of <see cref="FileSystemCheckpointStore"/>: an exclusive OS lock on the lease file
/// (flock on Unix, a share-none handle on Windows), held open while leased. The OS releases it
/// when the process dies, so the lease needs no expiry and a crashed holder never blocks its
/// successor.
///
/// Invariant: the path names the locked file. The file is never deleted by a holder (unlinking
/// a locked file would let a second holder lock a new file at the same path); each holder stamps
/// the file's modification time through its handle, and renewing checks that the path still
/// carries that stamp, so a lease file deleted or replaced by hand counts as lost.
/// </summary>
internal sealed class FileLockLease : ICheckpointLease
{
    private readonly string _fullPath;
    private readonly Uri _store;
    private readonly DateTime _stamp;
    private FileStream? _file;

    private FileLockLease(string fullPath, string path, Uri store, FileStream file, DateTime stamp)
    {
        _fullPath = fullPath;
        Path = path;
        _store = store;
        _file = file;
        _stamp = stamp;
    }

    public string Path { get; }

    public static FileLockLease Acquire(string fullPath, string path, Uri store)
    {
        if (AppContext.TryGetSwitch("System.IO.DisableFileLocking", out var disabled) && disabled
            || Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING") is "1" or "true")
        {
            throw new NotSupportedException($"File locking is disabled in this process (System.IO.DisableFileLocking), so checkpoint store {store} cannot lease '{path}'.");
        }

        FileStream file;
        try
        {
            file = new FileStream(fullPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw CheckpointLeaseException.HeldByAnother(path, store, "a process holds its file lock", e);
        }

        try
        {
            // For a human with `cat`; readers that lock are refused while the lease is held.
            file.SetLength(0);
            file.Write(Encoding.UTF8.GetBytes($"leased by process {Environment.ProcessId} on {Environment.MachineName} since {DateTimeOffset.UtcNow:O}\n"));
            file.Flush();
            File.SetLastWriteTimeUtc(file.SafeFileHandle, DateTime.UtcNow);
            var stamp = File.GetLastWriteTimeUtc(file.SafeFileHandle);
            if (File.GetLastWriteTimeUtc(fullPath) != stamp)
            {
                throw CheckpointLeaseException.HeldByAnother(path, store, "its file was replaced while it was being locked");
            }

            return new FileLockLease(fullPath, path, store, file, stamp);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public Task RenewAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _file) is null)
        {
            throw CheckpointLeaseException.Lost(Path, _store, "it was released");
        }

        if (File.GetLastWriteTimeUtc(_fullPath) != _stamp)
        {
            throw CheckpointLeaseException.Lost(Path, _store, "its file was deleted or replaced, so another holder may lock the new one");
        }

        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _file, null)?.Dispose();
        return ValueTask.CompletedTask;
    }
}
