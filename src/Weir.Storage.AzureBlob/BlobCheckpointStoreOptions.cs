using System.Buffers;
using Azure.Core;
using Microsoft.Extensions.Logging;
using Weir.Storage.AzureBlob.Client;

namespace Weir.Storage.AzureBlob;

/// <summary>
/// How a <see cref="BlobCheckpointStore"/> authorizes and uploads.
/// Authorization, first match wins:
/// <list type="number">
/// <item><see cref="ConnectionString"/>: the account's Shared Key, explicitly (e.g.
/// <c>UseDevelopmentStorage=true</c> for Azurite);</item>
/// <item><see cref="Credential"/>: any Azure.Identity <see cref="TokenCredential"/>;</item>
/// <item><see cref="ManagedIdentityClientId"/>: a user-assigned managed identity;</item>
/// <item>otherwise <c>DefaultAzureCredential</c>.</item>
/// </list>
/// Entra ID tokens are requested for <c>https://storage.azure.com/.default</c> and sent only over https.
/// <see cref="ToString"/> never shows the connection string.
/// </summary>
public sealed class BlobCheckpointStoreOptions
{
    /// <summary>The smallest block size accepted.</summary>
    public const int MinBlockSize = 16 * 1024;

    /// <summary>The largest block size accepted (the service allows more; a checkpoint writer should not buffer more).</summary>
    public const int MaxBlockSize = 256 * 1024 * 1024;

    /// <summary>An Azure Storage connection string with an account key; selects Shared Key authorization. A secret: never logged.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>A token credential to authorize with (Entra ID).</summary>
    public TokenCredential? Credential { get; set; }

    /// <summary>The client id of a user-assigned managed identity to authorize with.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Bytes per block of a staged upload; content up to this size is written by a single Put Blob. Default 4 MiB.</summary>
    public int BlockSize { get; set; } = BlockUploadOptions.DefaultBlockSize;

    /// <summary>Blocks of one write held in memory at once (being filled or uploading). Default 4.</summary>
    public int MaxBlocksInFlight { get; set; } = BlockUploadOptions.DefaultMaxBlocksInFlight;

    /// <summary>The HTTP pipeline's options: retries, diagnostics, transport.</summary>
    public BlobRestClientOptions Client { get; set; } = new();

    /// <summary>Where the store and client log; none if null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock Shared Key signatures are dated by; the system clock if null.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Where block buffers come from (tests count them); the shared pool if null.</summary>
    internal ArrayPool<byte>? BufferPool { get; set; }

    /// <summary>List Blobs page size; the service's default (5000) if null.</summary>
    internal int? ListPageSize { get; set; }

    /// <summary>The options, with the connection string redacted.</summary>
    public override string ToString() =>
        $"BlobCheckpointStoreOptions(ConnectionString={(ConnectionString is null ? "none" : "<redacted>")}, Credential={Credential?.GetType().Name ?? "none"}, ManagedIdentityClientId={ManagedIdentityClientId ?? "none"}, BlockSize={BlockSize}, MaxBlocksInFlight={MaxBlocksInFlight}, Client={Client})";

    internal void Validate()
    {
        var chosen = (ConnectionString is null ? 0 : 1) + (Credential is null ? 0 : 1) + (ManagedIdentityClientId is null ? 0 : 1);
        if (chosen > 1)
        {
            throw new ArgumentException($"{nameof(BlobCheckpointStoreOptions)}: set at most one of {nameof(ConnectionString)}, {nameof(Credential)} and {nameof(ManagedIdentityClientId)}; {ToString()}.");
        }

        if (BlockSize is < MinBlockSize or > MaxBlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(BlockSize), BlockSize, $"{nameof(BlobCheckpointStoreOptions)}.{nameof(BlockSize)} is {BlockSize}; allowed: {MinBlockSize} to {MaxBlockSize} bytes.");
        }

        if (MaxBlocksInFlight is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBlocksInFlight), MaxBlocksInFlight, $"{nameof(BlobCheckpointStoreOptions)}.{nameof(MaxBlocksInFlight)} is {MaxBlocksInFlight}; allowed: 1 to 64.");
        }

        ArgumentNullException.ThrowIfNull(Client);
    }
}
