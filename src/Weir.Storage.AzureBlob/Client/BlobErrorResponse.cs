using System.Xml;
using Azure;

namespace Weir.Storage.AzureBlob.Client;

/// <summary>
/// Turns an error response into a <see cref="BlobRequestException"/>: the code comes from the
/// <c>x-ms-error-code</c> header (HEAD responses have no body) or the body's
/// <c>&lt;Error&gt;&lt;Code&gt;</c>; the message keeps only the first line of the service's
/// <c>&lt;Message&gt;</c> (request id and time follow it) and never the authentication detail.
/// </summary>
internal static class BlobErrorResponse
{
    public static BlobRequestException ToException(Response response, string operation, string blobPath)
    {
        response.Headers.TryGetValue(BlobHeaders.ErrorCode, out var code);
        string? message = null;
        try
        {
            if (response.ContentStream is { CanRead: true } body && (!body.CanSeek || body.Length > 0))
            {
                (var bodyCode, message) = ReadError(body);
                code ??= bodyCode;
            }
        }
        catch (XmlException)
        {
            // Not an XML error document (a proxy's HTML page, say): the status and header code remain.
        }

        return new BlobRequestException(operation, blobPath, response.Status, code, message);
    }

    private static (string? Code, string? Message) ReadError(Stream body)
    {
        string? code = null;
        string? message = null;
        using var reader = XmlReader.Create(body, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, IgnoreWhitespace = true });
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }

            if (reader.Name == "Code")
            {
                code = reader.ReadElementContentAsString();
            }
            else if (reader.Name == "Message")
            {
                var text = reader.ReadElementContentAsString();
                var newline = text.IndexOfAny(['\r', '\n']);
                message = (newline < 0 ? text : text[..newline]).Trim().TrimEnd('.');
            }
        }

        return (code, message);
    }
}
