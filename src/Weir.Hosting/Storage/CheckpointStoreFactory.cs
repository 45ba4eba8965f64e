using System.Collections.Concurrent;
using Weir.Storage;
using Weir.Storage.FileSystem;

namespace Weir.Hosting.Storage;

/// <summary>Opens the checkpoint store a location names (<c>execution.checkpointing.dir</c>, or the root of a restore path).</summary>
public interface ICheckpointStoreFactory
{
    /// <summary>The store at <paramref name="location"/>: a local path, a <c>file://</c> URI, or (with a provider registered) a blob URL.</summary>
    ICheckpointStore Open(string location);
}

/// <summary>
/// The default factory: local paths and <c>file://</c> URIs, plus any providers registered for
/// other schemes (Azure Blob storage registers http and https). Stores are cached per location.
/// </summary>
public sealed class CheckpointStoreFactory(IEnumerable<ICheckpointStoreProvider> providers) : ICheckpointStoreFactory
{
    private readonly ConcurrentDictionary<string, ICheckpointStore> _stores = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ICheckpointStore Open(string location) => _stores.GetOrAdd(location, Create);

    private ICheckpointStore Create(string location)
    {
        if (Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.Scheme is not ("file" or "") && uri.Scheme.Length > 1)
        {
            var provider = providers.FirstOrDefault(p => p.CanOpen(uri))
                ?? throw new ArgumentException($"Checkpoint location '{Redact(uri)}' has scheme '{uri.Scheme}', which no registered store handles: use a local path, a file:// URI{(providers.Any() ? ", or " + string.Join(", ", providers.Select(p => p.Describe)) : string.Empty)}.");
            return provider.Open(uri);
        }

        var path = uri is { IsFile: true } ? uri.LocalPath : location;
        return new FileSystemCheckpointStore(path);
    }

    private static string Redact(Uri uri) => uri.Query.Length > 0 ? uri.GetLeftPart(UriPartial.Path) + "?***" : uri.ToString();
}

/// <summary>A store for locations of some URI scheme (e.g. Azure Blob storage for https).</summary>
public interface ICheckpointStoreProvider
{
    /// <summary>What locations it accepts, for error messages.</summary>
    string Describe { get; }

    /// <summary>True if it handles <paramref name="location"/>.</summary>
    bool CanOpen(Uri location);

    /// <summary>Opens the store.</summary>
    ICheckpointStore Open(Uri location);
}
