using System.Globalization;
using Azure.Core;

namespace Weir.Storage.AzureBlob.Client;

/// <summary>List Blobs, one page per call; paging follows the service's opaque NextMarker.</summary>
internal sealed partial class BlobRestClient
{
    /// <summary>
    /// List Blobs in <paramref name="container"/> whose names start with <paramref name="prefix"/>.
    /// With a <paramref name="delimiter"/>, names that continue past it are rolled up into
    /// <see cref="BlobListPage.Prefixes"/>. Pass the previous page's <see cref="BlobListPage.NextMarker"/>
    /// as <paramref name="marker"/> to continue; it is passed back verbatim, never interpreted.
    /// A missing container lists as empty.
    /// </summary>
    public async Task<BlobListPage> ListBlobsAsync(string container, string? prefix = null, string? delimiter = null, string? marker = null, int? maxResults = null, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Get, container, blob: null);
        var uri = message.Request.Uri;
        uri.AppendQuery("restype", "container");
        uri.AppendQuery("comp", "list");
        if (!string.IsNullOrEmpty(prefix))
        {
            uri.AppendQuery("prefix", prefix, escapeValue: true);
        }

        if (!string.IsNullOrEmpty(delimiter))
        {
            uri.AppendQuery("delimiter", delimiter, escapeValue: true);
        }

        if (!string.IsNullOrEmpty(marker))
        {
            uri.AppendQuery("marker", marker, escapeValue: true);
        }

        if (maxResults is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max, nameof(maxResults));
            uri.AppendQuery("maxresults", max.ToString(CultureInfo.InvariantCulture));
        }

        var response = await SendAsync(message, "List Blobs", container, cancellationToken).ConfigureAwait(false);
        if (response.Status == 404 && ErrorCode(response) == "ContainerNotFound")
        {
            return new BlobListPage([], [], null);
        }

        EnsureSuccess(response, "List Blobs", container);
        return BlobListPage.Parse(response.ContentStream ?? Stream.Null);
    }

    /// <summary>Every page of a listing, following NextMarker until the service returns none.</summary>
    public async IAsyncEnumerable<BlobListPage> ListAllBlobsAsync(string container, string? prefix = null, string? delimiter = null, int? pageSize = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? marker = null;
        do
        {
            var page = await ListBlobsAsync(container, prefix, delimiter, marker, pageSize, cancellationToken).ConfigureAwait(false);
            yield return page;
            marker = page.NextMarker;
        }
        while (marker is not null);
    }
}
