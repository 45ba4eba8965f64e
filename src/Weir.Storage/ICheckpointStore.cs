namespace Weir.Storage;

/// <summary>
/// Where checkpoints live: a flat namespace of files under one root (a directory, a blob
/// container prefix), addressed by relative paths with '/' separators
/// (<see cref="StoragePath"/>). The checkpoint layout on top of it is <see cref="CheckpointLayout"/>.
///
/// Contract, for every implementation (the conformance suite checks it):
/// <list type="bullet">
/// <item>A write is atomic: readers see the whole new content or none of it, never a part; a
/// write whose content callback throws leaves nothing behind.</item>
/// <item><see cref="WriteMode.CreateOnly"/> fails with <see cref="CheckpointFileExistsException"/>
/// if the file exists, also when two writers race: exactly one wins.</item>
/// <item>Reading a missing file fails with <see cref="CheckpointFileNotFoundException"/> naming it.</item>
/// <item>Deleting is idempotent.</item>
/// </list>
/// </summary>
public interface ICheckpointStore
{
    /// <summary>The root, as a URI for messages and <c>checkpoints list</c> (e.g. <c>file:///data/checkpoints</c>). Never carries credentials.</summary>
    Uri Location { get; }

    /// <summary>
    /// Writes a file: <paramref name="content"/> writes the bytes to the stream it is given;
    /// the file becomes visible only after it returns successfully.
    /// </summary>
    Task<StoredFile> WriteAsync(string path, Func<Stream, CancellationToken, ValueTask> content, WriteMode mode, CancellationToken cancellationToken = default);

    /// <summary>Opens a file for reading, from <paramref name="offset"/> for <paramref name="length"/> bytes (to the end if null).</summary>
    Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default);

    /// <summary>A file's size and time, or null if it does not exist.</summary>
    Task<StoredFile?> GetFileAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Every file below <paramref name="directory"/> (recursively; "" for all), in no particular order.</summary>
    IAsyncEnumerable<StoredFile> ListFilesAsync(string directory, CancellationToken cancellationToken = default);

    /// <summary>The names of the immediate subdirectories of <paramref name="directory"/> ("" for the root).</summary>
    Task<IReadOnlyList<string>> ListDirectoriesAsync(string directory, CancellationToken cancellationToken = default);

    /// <summary>Deletes a file; false if there was none.</summary>
    Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes an exclusive lease on <paramref name="path"/> (the file is created, empty, if missing):
    /// fencing, so that one holder at a time acts for what the path names (a job's checkpoint
    /// coordinator holds <c>&lt;job id&gt;/_coordinator.lease</c>). The lease lasts
    /// <paramref name="duration"/> (15 to 60 s, as Azure Blob leases do) from its acquisition or
    /// latest renewal; a lease not renewed in time may be taken by another acquirer. Stores whose
    /// leases are locks held by the process (the file system) ignore the duration: their lease ends
    /// on release or when the process dies. Do not write or delete a leased file.
    /// </summary>
    /// <exception cref="CheckpointLeaseException">Another holder has the lease; the message names the path and the store.</exception>
    /// <exception cref="NotSupportedException">The store cannot lease (this default, for stores written before leases existed).</exception>
    Task<ICheckpointLease> AcquireLeaseAsync(string path, TimeSpan duration, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"Checkpoint store {Location} ({GetType().Name}) does not support leases, so it cannot fence writers.");
}

/// <summary>
/// An exclusive lease on a file of a checkpoint store (<see cref="ICheckpointStore.AcquireLeaseAsync"/>).
/// Renew it well within its duration; disposing releases it, so another holder may acquire it at once.
/// </summary>
public interface ICheckpointLease : IAsyncDisposable
{
    /// <summary>The leased file's path in its store.</summary>
    string Path { get; }

    /// <summary>
    /// Renews the lease, restarting its duration, and so verifies that it is still held: after a
    /// successful renewal nobody else holds it for at least the lease's duration.
    /// </summary>
    /// <exception cref="CheckpointLeaseException">The lease was lost: released, broken, or taken by another holder after it expired.</exception>
    /// <exception cref="CheckpointStoreException">The store could not be asked; the lease may still be held.</exception>
    Task RenewAsync(CancellationToken cancellationToken = default);
}

/// <summary>How a write treats an existing file.</summary>
public enum WriteMode
{
    /// <summary>Replace it.</summary>
    Overwrite,

    /// <summary>Fail with <see cref="CheckpointFileExistsException"/>.</summary>
    CreateOnly,
}

/// <summary>A stored file: its path relative to the store's root, size and last modification.</summary>
public sealed record StoredFile(string Path, long Length, DateTimeOffset LastModified);
