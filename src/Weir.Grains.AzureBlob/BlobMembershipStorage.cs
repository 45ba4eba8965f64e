using Azure;
using Weir.Grains.Membership;
using Weir.Storage.AzureBlob;
using Weir.Storage.AzureBlob.Client;

namespace Weir.Grains.AzureBlob;

/// <summary>
/// The membership document as one block blob: read with Get Blob (its ETag), replaced with Put
/// Blob and <c>If-Match: &lt;ETag&gt;</c>, created with <c>If-None-Match: *</c>. The service
/// answers 412 (or 409 for a create) when another silo wrote first, which the table turns into
/// a re-read. The container is created on the first write if missing.
/// </summary>
internal sealed class BlobMembershipStorage(BlobRestClient client, string container, string blobName) : IMembershipStorage
{
    public string Location => $"{client.AccountEndpoint.GetLeftPart(UriPartial.Path).TrimEnd('/')}/{container}/{blobName}";

    public async Task<StoredMembership?> ReadAsync(CancellationToken cancellationToken = default)
    {
        BlobDownload download;
        try
        {
            download = await client.GetBlobAsync(container, blobName, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (BlobRequestException exception) when (exception.Status == 404)
        {
            return null;
        }

        await using (download.ConfigureAwait(false))
        {
            if (download.ContentLength > MembershipDocument.MaxBytes)
            {
                throw new MembershipTableException($"The membership table at {Location} has {download.ContentLength} bytes, more than the {MembershipDocument.MaxBytes} a table may have: it is corrupt.");
            }

            var content = new byte[download.ContentLength];
            await download.Content.ReadExactlyAsync(content, cancellationToken).ConfigureAwait(false);
            return new StoredMembership(content, download.Properties.ETag.ToString());
        }
    }

    public async Task<string?> TryWriteAsync(ReadOnlyMemory<byte> content, string? expectedETag, CancellationToken cancellationToken = default)
    {
        var conditions = expectedETag is null ? BlobConditions.CreateOnly : new BlobConditions(IfMatch: new ETag(expectedETag));
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var commit = await client.PutBlobAsync(container, blobName, content, conditions, cancellationToken: cancellationToken).ConfigureAwait(false);
                return commit.ETag.ToString();
            }
            catch (BlobRequestException exception) when (exception.Status is 412 or 409 && exception.ErrorCode != "ContainerNotFound")
            {
                return null;
            }
            catch (BlobRequestException exception) when (exception.Status == 404 && attempt == 0)
            {
                await client.CreateContainerIfNotExistsAsync(container, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
