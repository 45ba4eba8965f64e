using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Weir.Storage.AzureBlob.Client;

/// <summary>
/// A thin client of the Blob service REST API on Azure.Core's <see cref="HttpPipeline"/>, which
/// supplies retries, logging (with header redaction), timeouts and the authorization policy
/// (Entra ID bearer tokens or Weir's Shared Key signer). This class adds only the verbs: each
/// operation builds one request with the pinned <c>x-ms-version</c>, sends it, and maps an error
/// response to a <see cref="BlobRequestException"/> carrying the status and <c>x-ms-error-code</c>.
/// Operations are grouped by concept in partial files: blobs, blocks, listing, leases.
/// </summary>
internal sealed partial class BlobRestClient
{
    private readonly HttpPipeline _pipeline;
    private readonly string _endpoint;
    private readonly ILogger _logger;

    /// <param name="accountEndpoint">The account's Blob endpoint: <c>https://acct.blob.core.windows.net</c>, or path style <c>http://127.0.0.1:10000/devstoreaccount1</c>.</param>
    /// <param name="pipeline">A pipeline that authorizes requests.</param>
    /// <param name="logger">Where failures are logged.</param>
    public BlobRestClient(Uri accountEndpoint, HttpPipeline pipeline, ILogger? logger = null)
    {
        AccountEndpoint = accountEndpoint;
        _endpoint = accountEndpoint.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _pipeline = pipeline;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The account's Blob endpoint.</summary>
    public Uri AccountEndpoint { get; }

    /// <summary>Builds the pipeline from <paramref name="options"/> with <paramref name="authorization"/> applied on every attempt.</summary>
    public static BlobRestClient Create(Uri accountEndpoint, HttpPipelinePolicy authorization, BlobRestClientOptions options, ILogger? logger = null)
    {
        var pipeline = HttpPipelineBuilder.Build(options, perCallPolicies: [], perRetryPolicies: [authorization], new ResponseClassifier());
        return new BlobRestClient(accountEndpoint, pipeline, logger);
    }

    /// <summary>Create Container; false if it already existed.</summary>
    public async Task<bool> CreateContainerIfNotExistsAsync(string container, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Put, container, blob: null);
        message.Request.Uri.AppendQuery("restype", "container");
        var response = await SendAsync(message, "Create Container", container, cancellationToken).ConfigureAwait(false);
        if (response.Status == 409 && ErrorCode(response) == "ContainerAlreadyExists")
        {
            return false;
        }

        EnsureSuccess(response, "Create Container", container);
        return true;
    }

    /// <summary>Delete Container; false if there was none.</summary>
    public async Task<bool> DeleteContainerAsync(string container, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Delete, container, blob: null);
        message.Request.Uri.AppendQuery("restype", "container");
        var response = await SendAsync(message, "Delete Container", container, cancellationToken).ConfigureAwait(false);
        if (response.Status == 404)
        {
            return false;
        }

        EnsureSuccess(response, "Delete Container", container);
        return true;
    }

    /// <summary>"container/blob", as messages name it.</summary>
    public static string PathOf(string container, string? blob) => blob is null ? container : $"{container}/{blob}";

    private HttpMessage CreateMessage(RequestMethod method, string container, string? blob, bool bufferResponse = true)
    {
        var message = _pipeline.CreateMessage();
        message.BufferResponse = bufferResponse;
        var request = message.Request;
        request.Method = method;
        var path = blob is null ? $"{_endpoint}/{container}" : $"{_endpoint}/{container}/{EscapeBlobName(blob)}";
        request.Uri.Reset(new Uri(path));
        request.Headers.SetValue(BlobHeaders.Version, BlobRestClientOptions.ServiceVersion);
        return message;
    }

    // Each '/'-separated segment is percent-encoded; '/' itself stays, so virtual directories read naturally.
    private static string EscapeBlobName(string blob) => string.Join('/', blob.Split('/').Select(Uri.EscapeDataString));

    /// <summary>Sends; a response of any status is returned, a missing one (after the pipeline's retries) throws with status 0.</summary>
    private async Task<Response> SendAsync(HttpMessage message, string operation, string blobPath, CancellationToken cancellationToken)
    {
        try
        {
            await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is RequestFailedException or AggregateException or IOException or OperationCanceledException)
        {
            BlobClientLog.RequestGotNoResponse(_logger, operation, blobPath, e.GetBaseException().GetType().Name);
            throw new BlobRequestException(operation, blobPath, 0, null, null, e);
        }

        return message.Response;
    }

    // The status decides, not only the classifier's IsError: a response that a custom transport or
    // policy made up without classifying it must still never pass for a success.
    private static bool IsFailure(Response response) => response.IsError || response.Status >= 400;

    private void EnsureSuccess(Response response, string operation, string blobPath)
    {
        if (IsFailure(response))
        {
            throw Failure(response, operation, blobPath);
        }
    }

    private BlobRequestException Failure(Response response, string operation, string blobPath)
    {
        var failure = BlobErrorResponse.ToException(response, operation, blobPath);
        BlobClientLog.RequestFailed(_logger, operation, blobPath, failure.Status, failure.ErrorCode);
        return failure;
    }

    private static string? ErrorCode(Response response) => response.Headers.TryGetValue(BlobHeaders.ErrorCode, out var code) ? code : null;
}
