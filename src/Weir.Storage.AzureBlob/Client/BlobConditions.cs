using Azure;
using Azure.Core;

namespace Weir.Storage.AzureBlob.Client;

/// <summary>
/// Preconditions of a blob request: <c>If-Match</c> (an ETag: write only that version),
/// <c>If-None-Match</c> (<see cref="ETag.All"/>: create only), and the lease id the blob's
/// active lease requires.
/// </summary>
internal readonly record struct BlobConditions(ETag? IfMatch = null, ETag? IfNoneMatch = null, string? LeaseId = null)
{
    /// <summary>Succeeds only if the blob does not exist (<c>If-None-Match: *</c>).</summary>
    public static BlobConditions CreateOnly => new(IfNoneMatch: ETag.All);

    public void ApplyTo(Request request)
    {
        if (IfMatch is { } ifMatch)
        {
            request.Headers.SetValue(HttpHeader.Names.IfMatch, ifMatch.ToString("H"));
        }

        if (IfNoneMatch is { } ifNoneMatch)
        {
            request.Headers.SetValue(HttpHeader.Names.IfNoneMatch, ifNoneMatch.ToString("H"));
        }

        if (LeaseId is { } leaseId)
        {
            request.Headers.SetValue(BlobHeaders.LeaseId, leaseId);
        }
    }
}
