using Weir.Storage.AzureBlob;
using Weir.Storage.AzureBlob.Authorization;
using Weir.Storage.AzureBlob.Client;
using Weir.Testing.Azurite;

namespace Weir.Storage.Tests.AzureBlob;

/// <summary>
/// Azurite's Blob service for the tests that need it (<see cref="AzuriteProcess"/>: installed by
/// <c>npm ci</c> if missing, in memory on a free loopback port, never <c>--loose</c>), with store
/// options and a client that sign with the emulator's well-known key. A test that uses it creates
/// its own container. Also compiled into Weir.Integration.Tests.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string AccountName = StorageConnectionString.DevelopmentAccountName;
    private AzuriteProcess? _azurite;

    private AzuriteProcess Azurite => _azurite ?? throw new InvalidOperationException("Azurite has not started.");

    public int Port => Azurite.Port;

    /// <summary>Path-style endpoint: <c>http://127.0.0.1:port/devstoreaccount1</c>.</summary>
    public Uri BlobEndpoint => Azurite.BlobEndpoint;

    /// <summary>A connection string with Azurite's published well-known key, pointing at this instance.</summary>
    public string ConnectionString => Azurite.ConnectionString;

    /// <summary>What Azurite printed so far.</summary>
    public string Output => Azurite.Output;

    public async Task InitializeAsync() => _azurite = await AzuriteProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    /// <summary>A fresh container name (Azure's rules: lowercase, digits, hyphens, at most 63).</summary>
    public static string NewContainerName(string purpose) => AzuriteProcess.NewContainerName(purpose);

    /// <summary>The store location of <paramref name="prefix"/> in <paramref name="container"/>.</summary>
    public Uri LocationOf(string container, string prefix = "") => Azurite.LocationOf(container, prefix);

    /// <summary>Store options that sign with the emulator's key; fast retries so fault tests stay short.</summary>
    public BlobCheckpointStoreOptions StoreOptions(Action<BlobCheckpointStoreOptions>? configure = null)
    {
        var options = new BlobCheckpointStoreOptions { ConnectionString = ConnectionString };
        options.Client.Retry.Delay = TimeSpan.FromMilliseconds(5);
        options.Client.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
        configure?.Invoke(options);
        return options;
    }

    /// <summary>A Blob REST client on this instance, signing with the emulator's key.</summary>
    internal BlobRestClient CreateClient(BlobRestClientOptions? options = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        options ??= StoreOptions().Client;
        var credential = StorageConnectionString.Parse(ConnectionString).Credential;
        return BlobRestClient.Create(BlobEndpoint, new SharedKeyAuthorizationPolicy(credential), options, logger);
    }
}

/// <summary>Tests that share one Azurite process; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
