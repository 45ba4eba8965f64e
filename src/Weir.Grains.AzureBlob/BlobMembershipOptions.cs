using Azure.Core;
using Microsoft.Extensions.Logging;
using Weir.Storage.AzureBlob;

namespace Weir.Grains.AzureBlob;

/// <summary>
/// How the blob membership table authorizes, with the same rules as the blob checkpoint store
/// (first match wins): <see cref="ConnectionString"/> (Shared Key, e.g. Azurite), then
/// <see cref="Credential"/>, then <see cref="ManagedIdentityClientId"/>, else DefaultAzureCredential.
/// </summary>
public sealed class BlobMembershipOptions
{
    /// <summary>An Azure Storage connection string with an account key. A secret: never logged.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>A token credential to authorize with (Entra ID).</summary>
    public TokenCredential? Credential { get; set; }

    /// <summary>The client id of a user-assigned managed identity to authorize with.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>The HTTP pipeline's options: retries, diagnostics, transport.</summary>
    public BlobRestClientOptions Client { get; set; } = new();

    /// <summary>Where the client logs; none if null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock Shared Key signatures are dated by; the system clock if null.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>The options, with the connection string redacted.</summary>
    public override string ToString() =>
        $"BlobMembershipOptions(ConnectionString={(ConnectionString is null ? "none" : "<redacted>")}, Credential={Credential?.GetType().Name ?? "none"}, ManagedIdentityClientId={ManagedIdentityClientId ?? "none"}, Client={Client})";

    internal BlobCheckpointStoreOptions ToStoreOptions() => new()
    {
        ConnectionString = ConnectionString,
        Credential = Credential,
        ManagedIdentityClientId = ManagedIdentityClientId,
        Client = Client,
        LoggerFactory = LoggerFactory,
        TimeProvider = TimeProvider,
    };
}
