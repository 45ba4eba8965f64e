using System.Globalization;
using Azure;

namespace Weir.Storage.AzureBlob.Client;

/// <summary>What Get Blob Properties (or a Get Blob response) says about a blob.</summary>
internal sealed record BlobProperties(
    long Length,
    DateTimeOffset LastModified,
    ETag ETag,
    IReadOnlyDictionary<string, string> Metadata,
    string? LeaseState,
    string? LeaseStatus)
{
    public static BlobProperties FromResponse(Response response, long length) => new(
        length,
        ReadLastModified(response),
        response.Headers.ETag ?? default,
        ReadMetadata(response),
        response.Headers.TryGetValue(BlobHeaders.LeaseState, out var state) ? state : null,
        response.Headers.TryGetValue(BlobHeaders.LeaseStatus, out var status) ? status : null);

    public static DateTimeOffset ReadLastModified(Response response) =>
        response.Headers.TryGetValue(BlobHeaders.LastModified, out var value)
            ? DateTimeOffset.ParseExact(value, "R", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            : DateTimeOffset.MinValue;

    private static Dictionary<string, string> ReadMetadata(Response response)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in response.Headers)
        {
            if (header.Name.StartsWith(BlobHeaders.MetadataPrefix, StringComparison.OrdinalIgnoreCase))
            {
                metadata[header.Name[BlobHeaders.MetadataPrefix.Length..]] = header.Value;
            }
        }

        return metadata;
    }
}

/// <summary>The outcome of a committing write (Put Blob, Put Block List).</summary>
internal readonly record struct BlobCommit(ETag ETag, DateTimeOffset LastModified);

/// <summary>A Get Blob response: the (ranged) content, streaming from the connection until disposed, and the blob's size.</summary>
internal sealed record BlobDownload(Stream Content, long ContentLength, long BlobLength, BlobProperties Properties) : IAsyncDisposable, IDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();

    public void Dispose() => Content.Dispose();
}
