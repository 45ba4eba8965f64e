using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Checkpointing.Configuration;
using Weir.Hosting.Storage;
using Weir.Storage.AzureBlob;
using Weir.Storage.Tests.AzureBlob;

namespace Weir.Integration.Tests;

/// <summary>
/// <c>AddWeir</c> opens blob URLs in <c>execution.checkpointing.dir</c> with the credentials of
/// <c>azure.storage.*</c>, and never shows a key. Opening a store makes no request, so these need no emulator.
/// </summary>
public sealed class BlobStoreWiringTests
{
    private const string Location = "https://weirtest.blob.core.windows.net/checkpoints/prod";

    // A made-up key: what must never show up.
    private const string Key = "c2VjcmV0LWtleS10aGF0LW11c3QtbmV2ZXItYmUtbG9nZ2VkLTAxMjM0NTY3ODk=";
    private const string ConnectionString = $"DefaultEndpointsProtocol=https;AccountName=weirtest;AccountKey={Key};EndpointSuffix=core.windows.net";
    private const string ClientId = "8c1f3c6e-54a5-4b8b-9a56-1d2d3e4f5a6b";

    [Theory]
    [InlineData(ConnectionString, null, "Shared Key of account 'weirtest' (from the connection string)")]
    [InlineData(ConnectionString, ClientId, "Shared Key of account 'weirtest' (from the connection string)")]
    [InlineData(null, ClientId, $"managed identity (client id {ClientId})")]
    [InlineData(null, null, "DefaultAzureCredential")]
    public void A_blob_url_opens_a_blob_store_authorized_by_the_first_configured_credential(string? connectionString, string? clientId, string authorization)
    {
        var logs = new CapturingLoggerProvider();
        var settings = new List<(string, string)> { ("execution.checkpointing.dir", Location) };
        if (connectionString is not null)
        {
            settings.Add(("azure.storage.connection-string", connectionString));
        }

        if (clientId is not null)
        {
            settings.Add(("azure.storage.managed-identity-client-id", clientId));
        }

        using var host = Silo(WeirOptions.Default.With([.. settings]), logs);
        var store = host.Services.GetRequiredService<ICheckpointStoreFactory>().Open(Location);

        Assert.IsType<BlobCheckpointStore>(store);
        Assert.Equal(new Uri(Location + "/"), store.Location);
        Assert.Contains(logs.Lines, l => l.Contains($"authorizes with {authorization};", StringComparison.Ordinal));
        Assert.DoesNotContain(Key, logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void No_key_or_sas_signature_appears_in_a_message_or_a_log()
    {
        var logs = new CapturingLoggerProvider();
        using var host = Silo(WeirOptions.Default.With(("azure.storage.connection-string", ConnectionString)), logs);
        var stores = host.Services.GetRequiredService<ICheckpointStoreFactory>();

        var otherAccount = Assert.Throws<ArgumentException>(() => stores.Open("https://otheraccount.blob.core.windows.net/checkpoints"));
        var sas = Assert.Throws<ArgumentException>(() => stores.Open($"{Location}?sv=2021-12-02&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D"));

        Assert.Contains("'weirtest'", otherAccount.Message);
        Assert.Contains("SAS token", sas.Message);
        foreach (var text in (string[])[otherAccount.ToString(), sas.ToString(), logs.Text])
        {
            Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
            Assert.DoesNotContain("c2VjcmV0LXNpZ25hdHVyZQ", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_emulator_url_without_a_connection_string_names_the_key_to_set()
    {
        using var host = Silo(WeirOptions.Default, new CapturingLoggerProvider());

        var error = Assert.Throws<ArgumentException>(() => host.Services.GetRequiredService<ICheckpointStoreFactory>().Open("http://127.0.0.1:10000/devstoreaccount1/checkpoints"));

        Assert.Contains("set azure.storage.connection-string (e.g. UseDevelopmentStorage=true)", error.Message);
    }

    private static IHost Silo(WeirOptions options, CapturingLoggerProvider logs)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.AddWeir(options);
        return builder.Build();
    }
}
