using Azure.Core;

namespace Weir.Storage.AzureBlob;

/// <summary>
/// Azure.Core pipeline options of Weir's Blob REST client: retries (<see cref="ClientOptions.Retry"/>),
/// diagnostics and logging (<see cref="ClientOptions.Diagnostics"/>), the transport, and extra
/// policies (<see cref="ClientOptions.AddPolicy"/>). The service version is pinned
/// (<see cref="ServiceVersion"/>) and not an option. Logging keeps Azure.Core's redaction: the
/// <c>Authorization</c> header and unlisted query parameters are logged as <c>REDACTED</c>.
/// </summary>
public sealed class BlobRestClientOptions : ClientOptions
{
    /// <summary>The <c>x-ms-version</c> every request carries.</summary>
    public const string ServiceVersion = "2021-12-02";

    /// <summary>Creates options with Azure.Core's default retries and Blob-specific logged headers.</summary>
    public BlobRestClientOptions()
    {
        foreach (var header in (string[])["x-ms-version", "x-ms-date", "x-ms-blob-type", "x-ms-range", "x-ms-lease-action", "x-ms-lease-state", "x-ms-lease-status", "x-ms-lease-duration", "x-ms-lease-time", "x-ms-error-code", "x-ms-request-id", "x-ms-request-server-encrypted", "Content-Range", "Last-Modified", "If-Match", "If-None-Match", "Content-MD5", "Accept-Ranges", "x-ms-content-crc64"])
        {
            Diagnostics.LoggedHeaderNames.Add(header);
        }

        foreach (var parameter in (string[])["restype", "comp", "prefix", "delimiter", "maxresults", "include"])
        {
            Diagnostics.LoggedQueryParameters.Add(parameter);
        }
    }

    /// <summary>Describes the retry settings; carries no credentials.</summary>
    public override string ToString() =>
        $"BlobRestClientOptions(ServiceVersion={ServiceVersion}, Retry={Retry.Mode} x{Retry.MaxRetries} delay {Retry.Delay} max {Retry.MaxDelay}, NetworkTimeout={Retry.NetworkTimeout})";
}
