namespace Weir.Storage;

/// <summary>Conveniences over <see cref="ICheckpointStore"/>.</summary>
public static class CheckpointStoreExtensions
{
    /// <summary>Writes a file from bytes in memory.</summary>
    public static Task<StoredFile> WriteAsync(this ICheckpointStore store, string path, ReadOnlyMemory<byte> bytes, WriteMode mode, CancellationToken cancellationToken = default) =>
        store.WriteAsync(path, (stream, ct) => stream.WriteAsync(bytes, ct), mode, cancellationToken);

    /// <summary>Reads a whole file (or a range of it) into memory.</summary>
    public static async Task<byte[]> ReadAllBytesAsync(this ICheckpointStore store, string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        await using var stream = await store.OpenReadAsync(path, offset, length, cancellationToken);
        if (length is { } known)
        {
            // Straight into an array of the right size: no growing buffer, no copy (state files run to hundreds of megabytes).
            var bytes = new byte[checked((int)known)];
            try
            {
                await stream.ReadExactlyAsync(bytes, cancellationToken);
            }
            catch (EndOfStreamException e)
            {
                throw new CheckpointStoreException($"'{path}' in {store.Location} ended before the {known} bytes from offset {offset} were read.", e);
            }

            return bytes;
        }

        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>Deletes every file below a directory; returns how many were deleted.</summary>
    public static async Task<int> DeleteDirectoryAsync(this ICheckpointStore store, string directory, CancellationToken cancellationToken = default)
    {
        var deleted = 0;
        var files = new List<StoredFile>();
        await foreach (var file in store.ListFilesAsync(directory, cancellationToken))
        {
            files.Add(file);
        }

        foreach (var file in files)
        {
            if (await store.DeleteAsync(file.Path, cancellationToken))
            {
                deleted++;
            }
        }

        return deleted;
    }
}
