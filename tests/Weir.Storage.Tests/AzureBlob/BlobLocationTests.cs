using Weir.Storage.AzureBlob;
using Weir.Storage.AzureBlob.Store;

namespace Weir.Storage.Tests.AzureBlob;

public sealed class BlobLocationTests
{
    [Fact]
    public void An_azure_location_names_account_container_and_prefix()
    {
        var location = BlobLocation.Parse(new Uri("https://WeirAcct.blob.core.windows.net/checkpoints/prod/job-runs"));
        Assert.Equal("weiracct", location.AccountName);
        Assert.Equal(new Uri("https://weiracct.blob.core.windows.net"), location.AccountEndpoint);
        Assert.Equal("checkpoints", location.Container);
        Assert.Equal("prod/job-runs", location.Prefix);
        Assert.Equal("prod/job-runs/j/chk-1/_metadata", location.BlobName("j/chk-1/_metadata"));
        Assert.Equal("prod/job-runs/j/", location.ListPrefix("j"));
        Assert.Equal("prod/job-runs/", location.ListPrefix(string.Empty));
        Assert.Equal("j/x", location.PathOf("prod/job-runs/j/x"));
        Assert.Equal(new Uri("https://weiracct.blob.core.windows.net/checkpoints/prod/job-runs/"), location.Uri);
    }

    [Fact]
    public void An_azurite_location_is_path_style()
    {
        var location = BlobLocation.Parse(new Uri("http://127.0.0.1:10000/devstoreaccount1/checkpoints"));
        Assert.Equal("devstoreaccount1", location.AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), location.AccountEndpoint);
        Assert.Equal("checkpoints", location.Container);
        Assert.Equal(string.Empty, location.Prefix);
        Assert.Equal(string.Empty, location.ListPrefix(string.Empty));
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1/checkpoints/"), location.Uri);
        Assert.Equal("devstoreaccount1", BlobLocation.Parse(new Uri("http://localhost:10000/devstoreaccount1/c12/p")).AccountName);
    }

    [Theory]
    [InlineData("http://weiracct.blob.core.windows.net/checkpoints", "must use https")]
    [InlineData("https://example.com/checkpoints", "is not of the form <account>.blob.<endpoint suffix>")]
    [InlineData("https://weiracct.blob.core.windows.net/", "names no container")]
    [InlineData("https://weiracct.blob.core.windows.net/Bad_Container", "is not a container name")]
    [InlineData("https://weiracct.blob.core.windows.net/a--b", "is not a container name")]
    [InlineData("https://x.blob.core.windows.net/checkpoints", "is not a storage account name")]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1", "needs /<account>/<container>")]
    [InlineData("ftp://weiracct.blob.core.windows.net/checkpoints", "scheme is 'ftp'")]
    [InlineData("https://weiracct.blob.core.windows.net/checkpoints/a//b", "prefix is not a valid path")]
    [InlineData("https://weiracct.blob.core.windows.net/checkpoints/a%5Cb", "prefix is not a valid path")]
    public void A_malformed_location_is_refused_naming_it_and_the_accepted_forms(string uri, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => BlobCheckpointStore.Create(uri, new BlobCheckpointStoreOptions { ConnectionString = "UseDevelopmentStorage=true" }));
        Assert.Contains(reason, error.Message);
        Assert.Contains("Checkpoint location '", error.Message);
        Assert.Contains("Accepted forms: https://<account>.blob.core.windows.net/<container>[/<prefix>]", error.Message);
        Assert.Contains("http://127.0.0.1:<port>/<account>/<container>[/<prefix>]", error.Message);
    }

    [Theory]
    [InlineData("https://weiracct.blob.core.windows.net/c01?sv=2022-11-02&sig=TOPSECRET", "https://weiracct.blob.core.windows.net/c01?<query removed>")]
    [InlineData("https://user:TOPSECRET@weiracct.blob.core.windows.net/c01", "https://weiracct.blob.core.windows.net/c01")]
    [InlineData("not a uri?sig=TOPSECRET", "not a uri")]
    public void Credentials_in_a_location_are_refused_and_not_repeated(string uri, string shown)
    {
        var error = Assert.Throws<ArgumentException>(() => BlobCheckpointStore.Create(uri, new BlobCheckpointStoreOptions { ConnectionString = "UseDevelopmentStorage=true" }));
        Assert.Contains($"'{shown}'", error.Message);
        Assert.DoesNotContain("TOPSECRET", error.Message);
    }

    [Fact]
    public void Authorization_must_match_the_location()
    {
        var http = Assert.Throws<ArgumentException>(() => BlobCheckpointStore.Create("http://127.0.0.1:10000/devstoreaccount1/c01"));
        Assert.Contains("Entra ID tokens are only sent over https", http.Message);
        Assert.Contains("UseDevelopmentStorage=true", http.Message);

        var otherAccount = Assert.Throws<ArgumentException>(() => BlobCheckpointStore.Create(
            "https://weiracct.blob.core.windows.net/c01",
            new BlobCheckpointStoreOptions { ConnectionString = "UseDevelopmentStorage=true" }));
        Assert.Contains("for storage account 'devstoreaccount1', but checkpoint location 'https://weiracct.blob.core.windows.net/c01/' is in account 'weiracct'", otherAccount.Message);

        var both = Assert.Throws<ArgumentException>(() => BlobCheckpointStore.Create(
            "https://weiracct.blob.core.windows.net/c01",
            new BlobCheckpointStoreOptions { ConnectionString = "UseDevelopmentStorage=true", ManagedIdentityClientId = "5c3a1d9e-0000-4000-8000-000000000001" }));
        Assert.Contains("set at most one of ConnectionString, Credential and ManagedIdentityClientId", both.Message);
        Assert.Contains("ConnectionString=<redacted>", both.Message);

        var block = Assert.Throws<ArgumentOutOfRangeException>(() => BlobCheckpointStore.Create(
            "https://weiracct.blob.core.windows.net/c01",
            new BlobCheckpointStoreOptions { BlockSize = 100 }));
        Assert.Contains("BlockSize is 100; allowed: 16384 to 268435456 bytes", block.Message);
    }
}
