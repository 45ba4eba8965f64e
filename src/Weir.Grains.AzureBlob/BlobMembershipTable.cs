using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weir.Grains.Membership;
using Weir.Storage.AzureBlob.Authorization;
using Weir.Storage.AzureBlob.Client;
using Weir.Storage.AzureBlob.Store;

namespace Weir.Grains.AzureBlob;

/// <summary>Creates membership tables kept in Azure Blob storage.</summary>
public static class BlobMembershipTable
{
    /// <summary>
    /// The membership table of <paramref name="clusterId"/> as the blob
    /// <c>&lt;location&gt;/&lt;cluster id&gt;.membership.json</c>. <paramref name="location"/> takes
    /// the forms of a blob checkpoint location:
    /// <c>https://&lt;account&gt;.blob.core.windows.net/&lt;container&gt;[/&lt;prefix&gt;]</c>, or for Azurite
    /// <c>http://127.0.0.1:&lt;port&gt;/&lt;account&gt;/&lt;container&gt;[/&lt;prefix&gt;]</c> (with a connection string).
    /// </summary>
    /// <exception cref="ArgumentException">The location or the options are malformed.</exception>
    public static MembershipTable Create(Uri location, string clusterId, BlobMembershipOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        options ??= new BlobMembershipOptions();
        var storeOptions = options.ToStoreOptions();
        storeOptions.Validate();
        var parsed = BlobLocation.Parse(location);
        var authorization = BlobAuthorization.For(storeOptions, parsed);
        var logger = options.LoggerFactory?.CreateLogger("Weir.Grains.AzureBlob") ?? (ILogger)NullLogger.Instance;
        var client = BlobRestClient.Create(parsed.AccountEndpoint, authorization.Policy, options.Client, logger);
        var storage = new BlobMembershipStorage(client, parsed.Container, parsed.BlobName($"{clusterId}.membership.json"));
        return new MembershipTable(storage, clusterId);
    }
}
