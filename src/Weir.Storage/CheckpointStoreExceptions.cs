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
