using Weir.Storage;

namespace Weir.Benchmarks.State;

/// <summary>
/// A store whose writes go nowhere: times a snapshot's encoding (serialization and checksums)
/// without I/O, or sizes it (a snapshot's handle counts its segments itself).
/// </summary>
internal sealed class DiscardingStore : ICheckpointStore
{
    public Uri Location { get; } = new("memory://discard/");

    public async Task<StoredFile> WriteAsync(string path, Func<Stream, CancellationToken, ValueTask> content, WriteMode mode, CancellationToken cancellationToken = default)
    {
        await content(Stream.Null, cancellationToken);
        return new StoredFile(path, 0, DateTimeOffset.UtcNow);
    }

    public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<StoredFile?> GetFileAsync(string path, CancellationToken cancellationToken = default) => Task.FromResult<StoredFile?>(null);

    public IAsyncEnumerable<StoredFile> ListFilesAsync(string directory, CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<StoredFile>();

    public Task<IReadOnlyList<string>> ListDirectoriesAsync(string directory, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<string>>([]);

    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => Task.FromResult(false);
}
