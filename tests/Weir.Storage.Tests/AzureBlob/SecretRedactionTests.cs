using System.Diagnostics.Tracing;
using System.Security.Cryptography;
using Azure.Core.Diagnostics;
using Weir.Storage.AzureBlob;
using Weir.Storage.AzureBlob.Authorization;

namespace Weir.Storage.Tests.AzureBlob;

/// <summary>No account key, signature or connection string in exception messages, logs (Weir's and Azure.Core's) or ToString.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class SecretRedactionTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly string _container = AzuriteFixture.NewContainerName("secrets");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await azurite.CreateClient().DeleteContainerAsync(_container);

    [Fact]
    public async Task Exceptions_and_captured_logs_carry_no_key_material()
    {
        var azureCoreLog = new List<string>();
        using var listener = new AzureEventSourceListener(
            (_, message) =>
            {
                lock (azureCoreLog)
                {
                    azureCoreLog.Add(message);
                }
            },
            EventLevel.Verbose);
        var weirLog = new CapturingLoggerProvider();

        // A wrong key: Azurite rejects the signature.
        var wrongKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        var wrongConnectionString = $"DefaultEndpointsProtocol=http;AccountName={AzuriteFixture.AccountName};AccountKey={wrongKey};BlobEndpoint={azurite.BlobEndpoint}";
        var rejected = BlobCheckpointStore.Create(azurite.LocationOf(_container), azurite.StoreOptions(o =>
        {
            o.ConnectionString = wrongConnectionString;
            o.LoggerFactory = weirLog;
        }));
        var denied = await Assert.ThrowsAsync<BlobRequestException>(() => rejected.WriteAsync("job/a", new byte[10], WriteMode.CreateOnly));
        Assert.Equal(403, denied.Status);

        // The right key: successes and an ordinary failure, all logged.
        var options = azurite.StoreOptions(o => o.LoggerFactory = weirLog);
        var store = BlobCheckpointStore.Create(azurite.LocationOf(_container), options);
        await store.WriteAsync("job/a", new byte[10], WriteMode.CreateOnly);
        var exists = await Assert.ThrowsAsync<CheckpointFileExistsException>(() => store.WriteAsync("job/a", new byte[10], WriteMode.CreateOnly));
        var missing = await Assert.ThrowsAsync<CheckpointFileNotFoundException>(() => store.OpenReadAsync("job/missing"));

        var malformed = Assert.Throws<ArgumentException>(() => BlobCheckpointStore.Create(
            azurite.LocationOf(_container),
            new BlobCheckpointStoreOptions { ConnectionString = $"AccountName=devstoreaccount1;AccountKey={wrongKey};AccountKey={wrongKey}" }));
        var notBase64 = Assert.Throws<ArgumentException>(() => StorageConnectionString.Parse("AccountName=acct;AccountKey=not*base64*but*secret"));
        var sasLocation = Assert.Throws<ArgumentException>(() => BlobCheckpointStore.Create(
            "https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=SASSIGNATURESECRET",
            new BlobCheckpointStoreOptions { ConnectionString = "UseDevelopmentStorage=true" }));

        string azureText;
        lock (azureCoreLog)
        {
            azureText = string.Join(Environment.NewLine, azureCoreLog);
        }

        var revealed = new[]
        {
            ("denied", denied.ToString()),
            ("exists", exists.ToString()),
            ("missing", missing.ToString()),
            ("malformed", malformed.ToString()),
            ("not base64", notBase64.ToString()),
            ("sas location", sasLocation.ToString()),
            ("options", options.ToString()),
            ("options with wrong key", new BlobCheckpointStoreOptions { ConnectionString = wrongConnectionString }.ToString()),
            ("store", store.ToString()),
            ("location", store.Location.ToString()),
            ("connection string", StorageConnectionString.Parse(wrongConnectionString).ToString()),
            ("credential", StorageConnectionString.Parse(wrongConnectionString).Credential.ToString()),
            ("Weir log", weirLog.Text),
            ("Azure.Core log", azureText),
        };
        string[] secrets =
        [
            wrongKey, StorageConnectionString.DevelopmentAccountKey, wrongConnectionString, azurite.ConnectionString,
            "not*base64*but*secret", "SASSIGNATURESECRET", "SharedKey devstoreaccount1:", "AccountKey=E", $"AccountKey={wrongKey[..1]}",
        ];
        foreach (var (what, text) in revealed)
        {
            foreach (var secret in secrets)
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{what} reveals '{secret[..Math.Min(12, secret.Length)]}...': {text}");
            }
        }

        // The logs were there to leak: requests were logged with their headers, the Authorization one redacted.
        Assert.Contains("Authorization:REDACTED", azureText);
        Assert.Contains("x-ms-version:2021-12-02", azureText);
        Assert.Contains("403", azureText);
        Assert.Contains(weirLog.Lines, l => l.Contains("Shared Key of account 'devstoreaccount1'", StringComparison.Ordinal));
        Assert.Contains(weirLog.Lines, l => l.Contains("failed with 403", StringComparison.Ordinal));
        Assert.Contains("Put Blob", denied.Message);
        Assert.Contains($"{_container}/job/a", denied.Message);
        Assert.Contains("https://acct.blob.core.windows.net/c?<query removed>", sasLocation.Message);
    }
}
