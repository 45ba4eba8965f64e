using Weir.Checkpointing.Configuration.Parsing;
using K = Weir.Checkpointing.Configuration.ConfigurationKeys;

namespace Weir.Checkpointing.Configuration;

/// <summary>
/// Credentials for checkpoints kept in Azure Blob Storage: <c>azure.storage.*</c>. With neither
/// set, an https checkpoint directory is reached with the default Azure credential (Entra ID).
/// Immutable; validated by <see cref="WeirOptions.Parse(Microsoft.Extensions.Configuration.IConfiguration)"/>.
/// </summary>
public sealed class AzureStorageOptions
{
    internal const string ConnectionStringAllowed = "expected an Azure Storage connection string of name=value pairs separated by ';'";

    internal const string ClientIdAllowed = "expected the client id of a user-assigned managed identity (a GUID)";

    /// <summary>
    /// A storage account connection string (<c>azure.storage.connection-string</c>). A secret: it is
    /// never shown in errors, <see cref="WeirOptions.Describe"/> or <see cref="ToString"/>.
    /// </summary>
    public string? ConnectionString { get; init; }

    /// <summary>The client id of the user-assigned managed identity to authenticate with (<c>azure.storage.managed-identity-client-id</c>).</summary>
    public string? ManagedIdentityClientId { get; init; }

    /// <summary>Describes the options without the connection string.</summary>
    public override string ToString() =>
        $"AzureStorageOptions {{ ConnectionString = {(ConnectionString is null ? "(none)" : K.Masked)}, ManagedIdentityClientId = {ManagedIdentityClientId ?? "(none)"} }}";

    internal static AzureStorageOptions Read(SettingReader reader)
    {
        var connectionString = reader.OptionalText(K.AzureConnectionString);
        if (connectionString is not null && !IsConnectionString(connectionString))
        {
            reader.Fail(K.AzureConnectionString, ConnectionStringAllowed);
            connectionString = null;
        }

        var clientId = reader.OptionalText(K.AzureManagedIdentityClientId);
        if (clientId is not null && !Guid.TryParse(clientId, out _))
        {
            reader.Fail(K.AzureManagedIdentityClientId, ClientIdAllowed);
            clientId = null;
        }

        return new AzureStorageOptions { ConnectionString = connectionString, ManagedIdentityClientId = clientId };
    }

    internal IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        yield return new(K.AzureConnectionString, ConnectionString);
        yield return new(K.AzureManagedIdentityClientId, ManagedIdentityClientId);
    }

    private static bool IsConnectionString(string text)
    {
        var pairs = text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return pairs.Length > 0 && pairs.All(pair => pair.IndexOf('=', StringComparison.Ordinal) > 0);
    }
}
