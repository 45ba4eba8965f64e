using Microsoft.Extensions.Logging;
using Weir.Checkpointing.Configuration;
using Weir.Storage;
using Weir.Storage.AzureBlob;

namespace Weir.Hosting.Storage;

/// <summary>
/// Opens checkpoint locations in Azure Blob storage, <c>https://&lt;account&gt;.blob.core.windows.net/&lt;container&gt;[/&lt;prefix&gt;]</c>
/// or Azurite's <c>http://127.0.0.1:&lt;port&gt;/devstoreaccount1/&lt;container&gt;[/&lt;prefix&gt;]</c>, as
/// <see cref="BlobCheckpointStore"/>s. Credentials come from <c>azure.storage.*</c>, first match wins:
/// <list type="number">
/// <item><c>azure.storage.connection-string</c>: the account's Shared Key, explicitly (e.g.
/// <c>UseDevelopmentStorage=true</c>, which signs for Azurite's well-known account on any port);</item>
/// <item><c>azure.storage.managed-identity-client-id</c>: that user-assigned managed identity (Entra ID);</item>
/// <item>otherwise <c>DefaultAzureCredential</c> (Entra ID: a system-assigned managed identity,
/// workload identity, environment variables or a developer's Azure CLI login).</item>
/// </list>
/// The container is created on the first write if it is missing. Neither the connection string
/// nor any key ever appears in a log line or an exception message.
/// </summary>
public sealed class BlobCheckpointStoreProvider(AzureStorageOptions credentials, ILoggerFactory? loggerFactory = null, Action<BlobCheckpointStoreOptions>? configure = null)
    : ICheckpointStoreProvider
{
    /// <inheritdoc />
    public string Describe =>
        "an Azure Blob URL (https://<account>.blob.core.windows.net/<container>[/<prefix>], or for Azurite http://127.0.0.1:<port>/devstoreaccount1/<container>[/<prefix>])";

    /// <inheritdoc />
    public bool CanOpen(Uri location) => location.Scheme == Uri.UriSchemeHttps || location.Scheme == Uri.UriSchemeHttp;

    /// <inheritdoc />
    public ICheckpointStore Open(Uri location)
    {
        if (location.Scheme == Uri.UriSchemeHttp && credentials.ConnectionString is null)
        {
            throw new ArgumentException(
                $"Checkpoint location '{location.GetLeftPart(UriPartial.Path)}' uses http, as an emulator does, and Entra ID tokens are only sent over https: for Azurite set azure.storage.connection-string (e.g. UseDevelopmentStorage=true).");
        }

        var options = new BlobCheckpointStoreOptions
        {
            ConnectionString = credentials.ConnectionString,
            ManagedIdentityClientId = credentials.ConnectionString is null ? credentials.ManagedIdentityClientId : null,
            LoggerFactory = loggerFactory,
        };
        configure?.Invoke(options);
        return BlobCheckpointStore.Create(location, options);
    }
}
