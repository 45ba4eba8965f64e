using Weir.Storage;

namespace Weir.Checkpointing.Tests.Coordinator;

/// <summary>Wraps a store: records every write with its mode, and fails the writes and deletes a test chooses.</summary>
internal sealed class FaultInjectingStore(ICheckpointStore inner) : ICheckpointStore
{
    public List<(string Path, WriteMode Mode)> Writes { get; } = [];

    /// <summary>Returns the exception a write of that path should fail with, or null to let it through.</summary>
    public Func<string, Exception?> FailWrite { get; set; } = _ => null;

    /// <summary>Returns the exception a delete of that path should fail with (nothing is deleted), or null to let it through.</summary>
    public Func<string, Exception?> FailDelete { get; set; } = _ => null;

    public Uri Location => inner.Location;

    public Task<StoredFile> WriteAsync(string path, Func<Stream, CancellationToken, ValueTask> content, WriteMode mode, CancellationToken cancellationToken = default)
    {
        Writes.Add((path, mode));
        return FailWrite(path) is { } failure ? Task.FromException<StoredFile>(failure) : inner.WriteAsync(path, content, mode, cancellationToken);
    }

    public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default) =>
        inner.OpenReadAsync(path, offset, length, cancellationToken);

    public Task<StoredFile?> GetFileAsync(string path, CancellationToken cancellationToken = default) => inner.GetFileAsync(path, cancellationToken);

    public IAsyncEnumerable<StoredFile> ListFilesAsync(string directory, CancellationToken cancellationToken = default) => inner.ListFilesAsync(directory, cancellationToken);

    public Task<IReadOnlyList<string>> ListDirectoriesAsync(string directory, CancellationToken cancellationToken = default) => inner.ListDirectoriesAsync(directory, cancellationToken);

    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) =>
        FailDelete(path) is { } failure ? Task.FromException<bool>(failure) : inner.DeleteAsync(path, cancellationToken);
}
