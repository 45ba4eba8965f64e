namespace Weir.Storage.AzureBlob.Authorization;

/// <summary>
/// An Azure Storage connection string, parsed: the account's Shared Key and Blob endpoint.
/// Supports <c>UseDevelopmentStorage=true</c> (Azurite's well-known account) and
/// <c>AccountName</c>, <c>AccountKey</c>, <c>BlobEndpoint</c>, <c>DefaultEndpointsProtocol</c>,
/// <c>EndpointSuffix</c>; other services' endpoints are ignored. Error messages name keys,
/// never values: a connection string is a secret.
/// </summary>
internal sealed class StorageConnectionString
{
    /// <summary>Azurite's (and the old Storage Emulator's) account.</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    /// <summary>Azurite's published, well-known key for <see cref="DevelopmentAccountName"/>: not a secret.</summary>
    public const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>Azurite's default Blob endpoint (path style: the account is the first path segment).</summary>
    public static readonly Uri DevelopmentBlobEndpoint = new("http://127.0.0.1:10000/devstoreaccount1");

    private static readonly string[] Supported = ["UseDevelopmentStorage", "AccountName", "AccountKey", "BlobEndpoint", "DefaultEndpointsProtocol", "EndpointSuffix"];

    private StorageConnectionString(SharedKeyCredential credential, Uri blobEndpoint)
    {
        Credential = credential;
        BlobEndpoint = blobEndpoint;
    }

    /// <summary>The account and its key.</summary>
    public SharedKeyCredential Credential { get; }

    /// <summary>The Blob service endpoint, without a trailing '/'.</summary>
    public Uri BlobEndpoint { get; }

    public static StorageConnectionString Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw Invalid("every setting must have the form Key=Value");
            }

            var key = part[..equals].Trim();
            if (!settings.TryAdd(key, part[(equals + 1)..].Trim()))
            {
                throw Invalid($"'{Known(key)}' appears more than once");
            }
        }

        if (settings.ContainsKey("SharedAccessSignature"))
        {
            throw Invalid("SAS connection strings are not supported; use AccountName and AccountKey, or an Entra ID credential");
        }

        if (settings.TryGetValue("UseDevelopmentStorage", out var development))
        {
            if (!bool.TryParse(development, out var useDevelopment) || !useDevelopment)
            {
                throw Invalid("UseDevelopmentStorage must be 'true' when present");
            }

            if (settings.Count > 1)
            {
                throw Invalid("UseDevelopmentStorage=true cannot be combined with other settings");
            }

            return new StorageConnectionString(new SharedKeyCredential(DevelopmentAccountName, DevelopmentAccountKey), DevelopmentBlobEndpoint);
        }

        if (!settings.TryGetValue("AccountName", out var accountName) || accountName.Length == 0)
        {
            throw Invalid("AccountName is missing");
        }

        if (!settings.TryGetValue("AccountKey", out var accountKey) || accountKey.Length == 0)
        {
            throw Invalid($"AccountKey is missing (account '{accountName}')");
        }

        var credential = new SharedKeyCredential(accountName, accountKey);
        Uri endpoint;
        if (settings.TryGetValue("BlobEndpoint", out var blobEndpoint))
        {
            if (!Uri.TryCreate(blobEndpoint, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp) || parsed.Query.Length > 0 || parsed.UserInfo.Length > 0)
            {
                throw Invalid("BlobEndpoint must be an absolute http(s) URI without a query or user info");
            }

            endpoint = new Uri(parsed.GetLeftPart(UriPartial.Path).TrimEnd('/'));
        }
        else
        {
            var protocol = settings.GetValueOrDefault("DefaultEndpointsProtocol", "https").ToLowerInvariant();
            if (protocol is not ("https" or "http"))
            {
                throw Invalid("DefaultEndpointsProtocol must be 'https' or 'http'");
            }

            var suffix = settings.GetValueOrDefault("EndpointSuffix", "core.windows.net").Trim('.');
            if (!Uri.TryCreate($"{protocol}://{accountName}.blob.{suffix}", UriKind.Absolute, out var built))
            {
                throw Invalid("AccountName and EndpointSuffix do not form a valid host name");
            }

            endpoint = built;
        }

        return new StorageConnectionString(credential, endpoint);
    }

    public override string ToString() => $"AccountName={Credential.AccountName};AccountKey=<redacted>;BlobEndpoint={BlobEndpoint}";

    // Names a key only if it is one we know, so that a value pasted where a key belongs is not echoed.
    private static string Known(string key) => Supported.FirstOrDefault(s => s.Equals(key, StringComparison.OrdinalIgnoreCase)) ?? "a setting";

    private static ArgumentException Invalid(string reason) =>
        new($"The storage connection string is not valid: {reason}. (Its value is not shown: it holds a secret.)", "connectionString");
}
