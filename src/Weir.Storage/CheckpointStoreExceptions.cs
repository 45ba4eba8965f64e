namespace Weir.Storage;

/// <summary>A checkpoint store operation failed; the message names the file and the store.</summary>
public class CheckpointStoreException : IOException
{
    /// <summary>Creates the exception.</summary>
    public CheckpointStoreException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>A create-only write found the file already there.</summary>
public sealed class CheckpointFileExistsException(string path, Uri store)
    : CheckpointStoreException($"'{path}' already exists in {store}: it was written create-only.")
{
    /// <summary>The path that exists.</summary>
    public string Path { get; } = path;
}

/// <summary>A file that was read does not exist.</summary>
public sealed class CheckpointFileNotFoundException(string path, Uri store)
    : CheckpointStoreException($"'{path}' does not exist in {store}.")
{
    /// <summary>The missing path.</summary>
    public string Path { get; } = path;
}

/// <summary>
/// A lease could not be taken because another holder has it, or a held lease was lost. The
/// message names the leased path and the store.
/// </summary>
public sealed class CheckpointLeaseException(string path, Uri store, string message, Exception? inner = null)
    : CheckpointStoreException(message, inner)
{
    /// <summary>The leased path.</summary>
    public string Path { get; } = path;

    /// <summary>The store's location.</summary>
    public Uri Store { get; } = store;

    /// <summary>Another holder has the lease on <paramref name="path"/>.</summary>
    public static CheckpointLeaseException HeldByAnother(string path, Uri store, string? detail = null, Exception? inner = null) =>
        new(path, store, $"'{path}' in {store} is leased by another holder{(detail is null ? string.Empty : $" ({detail})")}.", inner);

    /// <summary>The lease on <paramref name="path"/> is no longer held.</summary>
    public static CheckpointLeaseException Lost(string path, Uri store, string reason, Exception? inner = null) =>
        new(path, store, $"The lease on '{path}' in {store} was lost: {reason}.", inner);
}
