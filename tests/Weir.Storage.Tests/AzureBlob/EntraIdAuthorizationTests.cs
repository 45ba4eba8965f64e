using System.Collections.Concurrent;
using System.Net;
using Azure.Core;
using Azure.Core.Pipeline;
using Weir.Storage.AzureBlob;
using Weir.Storage.AzureBlob.Authorization;
using Weir.Storage.AzureBlob.Store;

namespace Weir.Storage.Tests.AzureBlob;

/// <summary>
/// Token authorization, against a fake Blob endpoint (Azurite accepts OAuth only over https with
/// its own certificate): the store sends Azure.Core's bearer token for Azure Storage's scope.
/// </summary>
public sealed class EntraIdAuthorizationTests
{
    private static readonly Uri Location = new("https://weiracct.blob.core.windows.net/checkpoints/prod");

    [Fact]
    public async Task A_token_credential_authorizes_every_request_with_a_storage_scoped_bearer_token()
    {
        var credential = new FakeTokenCredential("token-for-storage");
        var service = new FakeBlobService();
        var options = new BlobCheckpointStoreOptions { Credential = credential };
        options.Client.Transport = new HttpClientTransport(new HttpClient(service));
        var store = BlobCheckpointStore.Create(Location, options);

        var stored = await store.WriteAsync("job/chk-1/_metadata", new byte[] { 1, 2, 3 }, WriteMode.CreateOnly);

        Assert.Equal(3, stored.Length);
        Assert.Equal(["PUT /checkpoints?restype=container", "PUT /checkpoints/prod/job/chk-1/_metadata"], service.Requests.Select(r => r.Line));
        Assert.All(service.Requests, r =>
        {
            Assert.Equal("Bearer token-for-storage", r.Authorization);
            Assert.Equal(BlobRestClientOptions.ServiceVersion, r.Version);
        });
        Assert.Equal("*", service.Requests[1].IfNoneMatch);
        Assert.Equal(["https://storage.azure.com/.default"], credential.Scopes.Distinct());
    }

    [Fact]
    public void Without_a_connection_string_the_store_uses_entra_id()
    {
        var location = BlobLocation.Parse(Location);
        var managed = BlobAuthorization.For(new BlobCheckpointStoreOptions { ManagedIdentityClientId = "5c3a1d9e-0000-4000-8000-000000000001" }, location);
        Assert.Equal("managed identity (client id 5c3a1d9e-0000-4000-8000-000000000001)", managed.Description);
        Assert.IsType<BearerTokenAuthenticationPolicy>(managed.Policy);

        var fallback = BlobAuthorization.For(new BlobCheckpointStoreOptions(), location);
        Assert.Equal("DefaultAzureCredential", fallback.Description);
        Assert.IsType<BearerTokenAuthenticationPolicy>(fallback.Policy);

        var sharedKey = BlobAuthorization.For(
            new BlobCheckpointStoreOptions { ConnectionString = $"AccountName=weiracct;AccountKey={Convert.ToBase64String(new byte[32])}" },
            location);
        Assert.IsType<SharedKeyAuthorizationPolicy>(sharedKey.Policy);
        Assert.Equal("Shared Key of account 'weiracct' (from the connection string)", sharedKey.Description);
    }

    private sealed class FakeTokenCredential(string token) : TokenCredential
    {
        public ConcurrentQueue<string> Scopes { get; } = new();

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            foreach (var scope in requestContext.Scopes)
            {
                Scopes.Enqueue(scope);
            }

            return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    /// <summary>Answers Create Container and Put Blob with 201, recording what it was sent.</summary>
    private sealed class FakeBlobService : HttpMessageHandler
    {
        public List<(string Line, string? Authorization, string? Version, string? IfNoneMatch)> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Requests)
            {
                Requests.Add((
                    $"{request.Method} {request.RequestUri!.PathAndQuery}",
                    request.Headers.Authorization?.ToString(),
                    request.Headers.TryGetValues("x-ms-version", out var version) ? version.Single() : null,
                    request.Headers.TryGetValues("If-None-Match", out var ifNoneMatch) ? ifNoneMatch.Single() : null));
            }

            var response = new HttpResponseMessage(HttpStatusCode.Created) { Content = new ByteArrayContent([]) };
            response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue("\"0x8DC0000000000001\"");
            response.Content.Headers.LastModified = DateTimeOffset.UtcNow;
            return Task.FromResult(response);
        }
    }
}
