extern alias AzureIdentity;

using Azure.Core;
using Azure.Core.Pipeline;
using AzureIdentity::Azure.Identity;
using Weir.Storage.AzureBlob.Store;

namespace Weir.Storage.AzureBlob.Authorization;

/// <summary>
/// Picks how requests are authorized, from <see cref="BlobCheckpointStoreOptions"/>: Shared Key
/// only when a connection string is given explicitly; otherwise an Entra ID token credential
/// (the given one, a user-assigned managed identity, or DefaultAzureCredential) through
/// Azure.Core's <see cref="BearerTokenAuthenticationPolicy"/>. <see cref="Description"/> is for
/// logs and carries no secret.
/// </summary>
internal sealed record BlobAuthorization(HttpPipelinePolicy Policy, string Description)
{
    /// <summary>The OAuth scope of Azure Storage's data plane.</summary>
    public const string StorageScope = "https://storage.azure.com/.default";

    public static BlobAuthorization For(BlobCheckpointStoreOptions options, BlobLocation location)
    {
        if (options.ConnectionString is { } connectionString)
        {
            var parsed = StorageConnectionString.Parse(connectionString);
            var account = parsed.Credential.AccountName;
            if (!string.Equals(account, location.AccountName, StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException(
                    $"The connection string is for storage account '{account}', but checkpoint location '{location.Uri}' is in account '{location.AccountName}'.",
                    nameof(options));
            }

            return new BlobAuthorization(new SharedKeyAuthorizationPolicy(parsed.Credential, options.TimeProvider), $"Shared Key of account '{account}' (from the connection string)");
        }

        if (location.AccountEndpoint.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException(
                $"Checkpoint location '{location.Uri}' uses http, and Entra ID tokens are only sent over https. For Azurite, set {nameof(BlobCheckpointStoreOptions)}.{nameof(BlobCheckpointStoreOptions.ConnectionString)} (e.g. UseDevelopmentStorage=true).",
                nameof(options));
        }

        (TokenCredential Credential, string Description) chosen = options switch
        {
            { Credential: { } given } => (given, $"token credential {given.GetType().Name}"),
            { ManagedIdentityClientId: { } clientId } => (
                new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId)),
                $"managed identity (client id {clientId})"),
            _ => (new DefaultAzureCredential(), nameof(DefaultAzureCredential)),
        };
        var (credential, description) = chosen;

        return new BlobAuthorization(new BearerTokenAuthenticationPolicy(credential, StorageScope), description);
    }
}
