using System.Text;
using Azure.Core;

namespace Weir.Storage.AzureBlob.Authorization;

/// <summary>
/// The Blob service's Shared Key string-to-sign (versions 2015-02-21 and later):
/// <code>
/// VERB \n Content-Encoding \n Content-Language \n Content-Length (empty when 0) \n Content-MD5 \n
/// Content-Type \n Date \n If-Modified-Since \n If-Match \n If-None-Match \n If-Unmodified-Since \n
/// Range \n CanonicalizedHeaders CanonicalizedResource
/// </code>
/// CanonicalizedHeaders: every <c>x-ms-</c> header, name lower-cased, sorted, <c>name:value\n</c>.
/// CanonicalizedResource: <c>/account</c> + the encoded URI path, then for each query parameter,
/// name lower-cased and sorted, <c>\nname:value</c> with the value URL-decoded (repeated names
/// join their sorted values with ','). For path-style (emulator) endpoints the path itself begins
/// with the account, so it appears twice, which is what the service expects.
/// </summary>
internal static class SharedKeyStringToSign
{
    private static readonly string[] StandardHeaders =
        ["Content-Encoding", "Content-Language", "Content-Length", "Content-MD5", "Content-Type", "Date", "If-Modified-Since", "If-Match", "If-None-Match", "If-Unmodified-Since", "Range"];

    public static string Build(Request request, string accountName)
    {
        var builder = new StringBuilder(256);
        builder.Append(request.Method.Method).Append('\n');
        foreach (var header in StandardHeaders)
        {
            builder.Append(StandardHeaderValue(request, header)).Append('\n');
        }

        AppendCanonicalizedHeaders(builder, request);
        AppendCanonicalizedResource(builder, request, accountName);
        return builder.ToString();
    }

    private static string StandardHeaderValue(Request request, string name)
    {
        if (name == "Content-Length")
        {
            long length = 0;
            if (request.Headers.TryGetValue(name, out var declared) && long.TryParse(declared, out var parsed))
            {
                length = parsed;
            }
            else if (request.Content is { } content && content.TryComputeLength(out var computed))
            {
                length = computed;
            }

            return length == 0 ? string.Empty : length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return request.Headers.TryGetValue(name, out var value) ? value : string.Empty;
    }

    private static void AppendCanonicalizedHeaders(StringBuilder builder, Request request)
    {
        var headers = new List<(string Name, string Value)>();
        foreach (var header in request.Headers)
        {
            if (header.Name.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            {
                headers.Add((header.Name.ToLowerInvariant(), header.Value.Trim()));
            }
        }

        headers.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var (name, value) in headers)
        {
            builder.Append(name).Append(':').Append(value).Append('\n');
        }
    }

    private static void AppendCanonicalizedResource(StringBuilder builder, Request request, string accountName)
    {
        builder.Append('/').Append(accountName);
        var path = request.Uri.Path;
        builder.Append(path.Length == 0 ? "/" : path);

        var query = request.Uri.Query;
        if (query.Length <= 1)
        {
            return;
        }

        var parameters = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]).ToLowerInvariant();
            var value = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..]);
            if (!parameters.TryGetValue(name, out var values))
            {
                parameters[name] = values = [];
            }

            values.Add(value);
        }

        foreach (var (name, values) in parameters)
        {
            values.Sort(StringComparer.Ordinal);
            builder.Append('\n').Append(name).Append(':').AppendJoin(',', values);
        }
    }
}
