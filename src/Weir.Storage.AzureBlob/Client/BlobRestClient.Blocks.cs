using System.Security.Cryptography;
using System.Text;
using Azure.Core;

namespace Weir.Storage.AzureBlob.Client;

/// <summary>Staged writes of large block blobs: Put Block, Put Block List, and the upload that drives them.</summary>
internal sealed partial class BlobRestClient
{
    /// <summary>The service's limit on blocks in a committed blob.</summary>
    public const int MaxBlocksPerBlob = 50_000;

    /// <summary>Put Block: stages one uncommitted block; it becomes part of the blob only through Put Block List.</summary>
    public async Task PutBlockAsync(string container, string blob, string blockId, ReadOnlyMemory<byte> content, string? leaseId = null, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Put, container, blob);
        var request = message.Request;
        request.Uri.AppendQuery("comp", "block");
        request.Uri.AppendQuery("blockid", blockId, escapeValue: true);
        request.Headers.SetValue(HttpHeader.Names.ContentType, "application/octet-stream");
        request.Headers.SetValue(BlobHeaders.ContentMd5, Convert.ToBase64String(MD5.HashData(content.Span)));
        new BlobConditions(LeaseId: leaseId).ApplyTo(request);
        request.Content = RequestContent.Create(content);
        var response = await SendAsync(message, "Put Block", PathOf(container, blob), cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, "Put Block", PathOf(container, blob));
    }

    /// <summary>
    /// Put Block List: commits the blob as exactly <paramref name="blockIds"/>, in order. Blocks are
    /// named <c>Latest</c>, so a retry of a commit that already landed still names valid blocks.
    /// </summary>
    public async Task<BlobCommit> PutBlockListAsync(string container, string blob, IReadOnlyList<string> blockIds, BlobConditions conditions = default, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Put, container, blob);
        var request = message.Request;
        request.Uri.AppendQuery("comp", "blocklist");
        request.Headers.SetValue(HttpHeader.Names.ContentType, "application/xml");
        request.Headers.SetValue(BlobHeaders.BlobContentType, "application/octet-stream");
        AddMetadata(request, metadata);
        conditions.ApplyTo(request);

        var body = new StringBuilder(64 + (blockIds.Count * 80));
        body.Append("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
        foreach (var id in blockIds)
        {
            body.Append("<Latest>").Append(id).Append("</Latest>");
        }

        body.Append("</BlockList>");
        var bytes = Encoding.UTF8.GetBytes(body.ToString());
        request.Headers.SetValue(BlobHeaders.ContentMd5, Convert.ToBase64String(MD5.HashData(bytes)));
        request.Content = RequestContent.Create(bytes);
        var response = await SendAsync(message, "Put Block List", PathOf(container, blob), cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, "Put Block List", PathOf(container, blob));
        return new BlobCommit(response.Headers.ETag ?? default, BlobProperties.ReadLastModified(response));
    }

    /// <summary>
    /// Starts an upload to <paramref name="blob"/>: content written to <see cref="BlockBlobUpload.Stream"/>
    /// is buffered in blocks; nothing is visible until <see cref="BlockBlobUpload.CommitAsync"/>.
    /// </summary>
    public BlockBlobUpload StartUpload(string container, string blob, BlockUploadOptions options, CancellationToken cancellationToken = default) =>
        new(this, container, blob, options, _logger, cancellationToken);
}
