using System.Globalization;
using System.Xml;

namespace Weir.Storage.AzureBlob.Client;

/// <summary>A blob in a listing.</summary>
internal sealed record BlobItem(string Name, long Length, DateTimeOffset LastModified);

/// <summary>
/// One page of List Blobs: blobs, the virtual directories (<c>BlobPrefix</c>) when a delimiter was
/// given, and <see cref="NextMarker"/>, an opaque continuation the service alone interprets
/// (null on the last page).
/// </summary>
internal sealed record BlobListPage(IReadOnlyList<BlobItem> Blobs, IReadOnlyList<string> Prefixes, string? NextMarker)
{
    /// <summary>Reads the <c>EnumerationResults</c> document of List Blobs.</summary>
    public static BlobListPage Parse(Stream xml)
    {
        var blobs = new List<BlobItem>();
        var prefixes = new List<string>();
        string? nextMarker = null;
        using var reader = XmlReader.Create(xml, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, IgnoreWhitespace = true, IgnoreComments = true });
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }

            switch (reader.Name)
            {
                case "Blob":
                    blobs.Add(ReadBlob(reader.ReadSubtree()));
                    break;
                case "BlobPrefix":
                    prefixes.Add(ReadPrefix(reader.ReadSubtree()));
                    break;
                case "NextMarker":
                    var marker = reader.ReadElementContentAsString();
                    nextMarker = marker.Length == 0 ? null : marker;
                    break;
            }
        }

        return new BlobListPage(blobs, prefixes, nextMarker);
    }

    private static BlobItem ReadBlob(XmlReader blob)
    {
        string? name = null;
        long length = 0;
        var modified = DateTimeOffset.MinValue;
        using (blob)
        {
            while (blob.Read())
            {
                if (blob.NodeType != XmlNodeType.Element)
                {
                    continue;
                }

                switch (blob.Name)
                {
                    case "Name":
                        name = ReadName(blob);
                        break;
                    case "Content-Length":
                        length = long.Parse(blob.ReadElementContentAsString(), NumberStyles.None, CultureInfo.InvariantCulture);
                        break;
                    case "Last-Modified":
                        modified = DateTimeOffset.ParseExact(blob.ReadElementContentAsString(), "R", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                        break;
                }
            }
        }

        return new BlobItem(name ?? throw new FormatException("A List Blobs entry has no Name."), length, modified);
    }

    private static string ReadPrefix(XmlReader prefix)
    {
        using (prefix)
        {
            while (prefix.Read())
            {
                if (prefix.NodeType == XmlNodeType.Element && prefix.Name == "Name")
                {
                    return ReadName(prefix);
                }
            }
        }

        throw new FormatException("A List Blobs BlobPrefix has no Name.");
    }

    // Names with characters XML cannot carry come percent-encoded, flagged Encoded="true".
    private static string ReadName(XmlReader reader)
    {
        var encoded = string.Equals(reader.GetAttribute("Encoded"), "true", StringComparison.OrdinalIgnoreCase);
        var value = reader.ReadElementContentAsString();
        return encoded ? Uri.UnescapeDataString(value) : value;
    }
}
