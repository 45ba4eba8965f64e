using System.Globalization;
using System.Security.Cryptography;
using Azure;
using Azure.Core;

namespace Weir.Storage.AzureBlob.Client;

/// <summary>Whole-blob operations: Put Blob, Get Blob (ranged), Get Blob Properties, Delete Blob.</summary>
internal sealed partial class BlobRestClient
{
    /// <summary>
    /// Put Blob: writes a block blob in one request (content up to the service's single-put limit).
    /// A transactional Content-MD5 lets the service reject a body damaged or cut short in transit.
    /// </summary>
    public async Task<BlobCommit> PutBlobAsync(string container, string blob, ReadOnlyMemory<byte> content, BlobConditions conditions = default, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Put, container, blob);
        var request = message.Request;
        request.Headers.SetValue(BlobHeaders.BlobType, "BlockBlob");
        request.Headers.SetValue(HttpHeader.Names.ContentType, "application/octet-stream");
        request.Headers.SetValue(BlobHeaders.ContentMd5, Convert.ToBase64String(MD5.HashData(content.Span)));
        AddMetadata(request, metadata);
        conditions.ApplyTo(request);
        request.Content = RequestContent.Create(content);
        var response = await SendAsync(message, "Put Blob", PathOf(container, blob), cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, "Put Blob", PathOf(container, blob));
        return new BlobCommit(response.Headers.ETag ?? default, BlobProperties.ReadLastModified(response));
    }

    /// <summary>
    /// Get Blob, from <paramref name="offset"/> for <paramref name="length"/> bytes (to the end when
    /// null) via <c>x-ms-range</c>. The content streams from the connection: dispose it.
    /// </summary>
    public async Task<BlobDownload> GetBlobAsync(string container, string blob, long offset = 0, long? length = null, BlobConditions conditions = default, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is { } requested)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requested, nameof(length));
        }

        using var message = CreateMessage(RequestMethod.Get, container, blob, bufferResponse: false);
        if (offset != 0 || length is not null)
        {
            var end = length is { } l ? (offset + l - 1).ToString(CultureInfo.InvariantCulture) : string.Empty;
            message.Request.Headers.SetValue(BlobHeaders.Range, $"bytes={offset.ToString(CultureInfo.InvariantCulture)}-{end}");
        }

        conditions.ApplyTo(message.Request);
        var response = await SendAsync(message, "Get Blob", PathOf(container, blob), cancellationToken).ConfigureAwait(false);
        if (IsFailure(response))
        {
            using (response)
            {
                throw Failure(response, "Get Blob", PathOf(container, blob));
            }
        }

        var contentLength = response.Headers.ContentLengthLong ?? 0;
        var blobLength = contentLength;
        if (response.Headers.TryGetValue(BlobHeaders.ContentRange, out var range) && range.LastIndexOf('/') is var slash and >= 0
            && long.TryParse(range.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total))
        {
            blobLength = total;
        }

        var properties = BlobProperties.FromResponse(response, blobLength);
        var content = message.ExtractResponseContent() ?? Stream.Null;
        return new BlobDownload(content, contentLength, blobLength, properties);
    }

    /// <summary>Get Blob Properties; null if the blob (or its container) does not exist.</summary>
    public async Task<BlobProperties?> GetPropertiesAsync(string container, string blob, BlobConditions conditions = default, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Head, container, blob);
        conditions.ApplyTo(message.Request);
        var response = await SendAsync(message, "Get Blob Properties", PathOf(container, blob), cancellationToken).ConfigureAwait(false);
        if (response.Status == 404)
        {
            return null;
        }

        EnsureSuccess(response, "Get Blob Properties", PathOf(container, blob));
        return BlobProperties.FromResponse(response, response.Headers.ContentLengthLong ?? 0);
    }

    /// <summary>Delete Blob; false if there was none.</summary>
    public async Task<bool> DeleteBlobAsync(string container, string blob, BlobConditions conditions = default, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Delete, container, blob);
        conditions.ApplyTo(message.Request);
        var response = await SendAsync(message, "Delete Blob", PathOf(container, blob), cancellationToken).ConfigureAwait(false);
        if (response.Status == 404)
        {
            return false;
        }

        EnsureSuccess(response, "Delete Blob", PathOf(container, blob));
        return true;
    }

    private static void AddMetadata(Request request, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (var (name, value) in metadata)
        {
            request.Headers.SetValue(BlobHeaders.MetadataPrefix + name, value);
        }
    }
}
