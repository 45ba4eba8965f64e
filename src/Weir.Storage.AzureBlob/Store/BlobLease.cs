using Weir.Storage.AzureBlob.Client;

namespace Weir.Storage.AzureBlob.Store;

/// <summary>
/// A lease of <see cref="BlobCheckpointStore"/>: a Blob Lease of 15 to 60 seconds on the lease blob.
/// Acquisition proposes the lease id, so a retried acquire whose first answer was lost gets the
/// same lease back; renewal restarts the duration and succeeds even after expiry as long as nobody
/// else acquired the blob meanwhile; release frees it at once. A renewal refused by the service
/// (another lease id, no lease, no blob) means the lease is lost; a renewal without an answer
/// means nothing yet, and the next one decides.
/// </summary>
internal sealed class BlobLease(BlobRestClient client, string container, string blob, string path, Uri store, string leaseId) : ICheckpointLease
{
    private int _released;

    public string Path => path;

    public string LeaseId => leaseId;

    public async Task RenewAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _released) != 0)
        {
            throw CheckpointLeaseException.Lost(path, store, "it was released");
        }

        try
        {
            await client.RenewLeaseAsync(container, blob, leaseId, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobRequestException e) when (e.Status is 404 or 409 or 412)
        {
            throw CheckpointLeaseException.Lost(path, store, $"the Blob service refused to renew it ({e.Status} {e.ErrorCode}): it was broken, or it expired and another holder acquired it", e);
        }
    }

    /// <summary>Releases the lease; a failure is left to expiry (the lease lasts at most 60 s).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        try
        {
            await client.ReleaseLeaseAsync(container, blob, leaseId).ConfigureAwait(false);
        }
        catch (BlobRequestException)
        {
            // Lost already, or the service is unreachable: either way the lease ends by itself.
        }
    }
}
