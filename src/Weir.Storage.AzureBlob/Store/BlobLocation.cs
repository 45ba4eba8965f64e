using System.Net;
using System.Text.RegularExpressions;

namespace Weir.Storage.AzureBlob.Store;

/// <summary>
/// Where a blob checkpoint store lives: an account's Blob endpoint, a container, and a prefix of
/// blob names (a virtual directory; "" for the container root). Two URI forms are accepted:
/// <list type="bullet">
/// <item><c>https://&lt;account&gt;.blob.core.windows.net/&lt;container&gt;[/&lt;prefix&gt;]</c> (any
/// <c>&lt;account&gt;.blob.&lt;suffix&gt;</c> host, for sovereign clouds), https only;</item>
/// <item>path style for Azurite on a loopback address:
/// <c>http://127.0.0.1:&lt;port&gt;/&lt;account&gt;/&lt;container&gt;[/&lt;prefix&gt;]</c> (or <c>localhost</c>).</item>
/// </list>
/// </summary>
internal sealed partial record BlobLocation(Uri AccountEndpoint, string AccountName, string Container, string Prefix)
{
    public const string AcceptedForms =
        "https://<account>.blob.core.windows.net/<container>[/<prefix>], or for Azurite on a loopback address http://127.0.0.1:<port>/<account>/<container>[/<prefix>]";

    /// <summary>The location as a URI (ending in '/'), without credentials.</summary>
    public Uri Uri => new($"{AccountEndpoint.GetLeftPart(UriPartial.Path).TrimEnd('/')}/{Container}/{(Prefix.Length == 0 ? string.Empty : Escape(Prefix) + "/")}");

    /// <summary>The blob name of a store path.</summary>
    public string BlobName(string path) => Prefix.Length == 0 ? path : path.Length == 0 ? Prefix : $"{Prefix}/{path}";

    /// <summary>The List Blobs prefix of everything below a store directory ("" for the store root).</summary>
    public string ListPrefix(string directory)
    {
        var name = BlobName(directory);
        return name.Length == 0 ? string.Empty : name + "/";
    }

    /// <summary>The store path of a blob name below the prefix.</summary>
    public string PathOf(string blobName) => Prefix.Length == 0 ? blobName : blobName[(Prefix.Length + 1)..];

    public static BlobLocation Parse(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            throw Invalid(uri, "it is not an absolute URI");
        }

        if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw Invalid(uri, "it must not carry user info, a query (such as a SAS token) or a fragment; credentials go in the options");
        }

        if (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
        {
            throw Invalid(uri, $"its scheme is '{uri.Scheme}', not https (or http for a loopback emulator)");
        }

        // A trailing '/' is allowed; an empty segment inside the path is not (the prefix check below names it).
        var path = uri.AbsolutePath.Trim('/');
        var segments = path.Length == 0 ? [] : path.Split('/').Select(Uri.UnescapeDataString).ToArray();
        var pathStyle = uri.IsLoopback || IPAddress.TryParse(uri.Host, out _);
        string account;
        Uri endpoint;
        int containerIndex;
        if (pathStyle)
        {
            if (segments.Length < 2)
            {
                throw Invalid(uri, "a loopback (emulator) location needs /<account>/<container> in its path");
            }

            account = segments[0];
            endpoint = new Uri($"{uri.Scheme}://{uri.Authority}/{Uri.EscapeDataString(account)}");
            containerIndex = 1;
        }
        else
        {
            var host = HostPattern().Match(uri.Host);
            if (!host.Success)
            {
                throw Invalid(uri, $"its host '{uri.Host}' is not of the form <account>.blob.<endpoint suffix>");
            }

            if (uri.Scheme != Uri.UriSchemeHttps)
            {
                throw Invalid(uri, "Azure Storage locations must use https");
            }

            if (segments.Length < 1)
            {
                throw Invalid(uri, "it names no container");
            }

            account = host.Groups["account"].Value.ToLowerInvariant();
            endpoint = new Uri($"https://{uri.Authority.ToLowerInvariant()}");
            containerIndex = 0;
        }

        if (!AccountPattern().IsMatch(account))
        {
            throw Invalid(uri, $"'{account}' is not a storage account name (3 to 24 lowercase letters and digits)");
        }

        var container = segments[containerIndex];
        if (!ContainerPattern().IsMatch(container) || container.Contains("--", StringComparison.Ordinal))
        {
            throw Invalid(uri, $"'{container}' is not a container name (3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit)");
        }

        var prefix = string.Join('/', segments.Skip(containerIndex + 1));
        try
        {
            StoragePath.Validate(prefix, allowEmpty: true);
        }
        catch (ArgumentException e)
        {
            throw Invalid(uri, $"its prefix is not a valid path ({e.Message})");
        }

        return new BlobLocation(endpoint, account, container, prefix);
    }

    /// <summary>A URI fit for a message: scheme, host, port and path only (no user info, query or fragment).</summary>
    public static string Redact(Uri uri) =>
        uri.IsAbsoluteUri
            ? uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) + (uri.Query.Length > 0 ? "?<query removed>" : string.Empty)
            : uri.OriginalString.Split('?')[0];

    internal static ArgumentException Invalid(Uri uri, string reason) => Invalid(Redact(uri), reason);

    internal static ArgumentException Invalid(string shown, string reason) =>
        new($"Checkpoint location '{shown}' is not valid: {reason}. Accepted forms: {AcceptedForms}.", "location");

    private static string Escape(string prefix) => string.Join('/', prefix.Split('/').Select(Uri.EscapeDataString));

    [GeneratedRegex("^(?<account>[A-Za-z0-9]+)\\.blob\\.[A-Za-z0-9.-]+$")]
    private static partial Regex HostPattern();

    [GeneratedRegex("^[a-z0-9]{3,24}$")]
    private static partial Regex AccountPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerPattern();
}
