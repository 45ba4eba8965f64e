using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Weir.Grains.Membership;

/// <summary>
/// The membership table as one JSON document: the cluster id, the table version, and the rows
/// with their ETags. Readable by people (<c>cat</c> the file of a local cluster); written whole,
/// with the storage's compare-and-swap.
/// </summary>
internal sealed class MembershipDocument
{
    /// <summary>Format of this document; readers refuse newer formats.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The most bytes a stored membership document may have; more is refused as corrupt.</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    /// <summary>Dead rows kept for diagnosis; older ones are dropped on the next write.</summary>
    public const int MaxDeadRows = 64;

    public int Format { get; set; } = CurrentFormat;

    public string ClusterId { get; set; } = string.Empty;

    public int Version { get; set; }

    public List<MembershipRow> Rows { get; set; } = [];

    public static MembershipDocument Empty(string clusterId) => new() { ClusterId = clusterId };

    public static MembershipDocument Parse(ReadOnlySpan<byte> json, string clusterId, string location)
    {
        if (json.Length > MaxBytes)
        {
            throw new MembershipTableException($"The membership table at {location} has {json.Length} bytes, more than the {MaxBytes} a table may have: it is corrupt.");
        }

        MembershipDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(json, MembershipJsonContext.Default.MembershipDocument);
        }
        catch (JsonException exception)
        {
            throw new MembershipTableException($"The membership table at {location} is not valid JSON: {exception.Message}", exception);
        }

        if (document is null || document.Format > CurrentFormat)
        {
            throw new MembershipTableException($"The membership table at {location} has format {document?.Format}; this build reads format {CurrentFormat}.");
        }

        if (!string.Equals(document.ClusterId, clusterId, StringComparison.Ordinal))
        {
            throw new MembershipTableException($"The membership table at {location} belongs to cluster '{document.ClusterId}', not '{clusterId}'.");
        }

        return document;
    }

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, MembershipJsonContext.Default.MembershipDocument);

    public TableVersion TableVersion => new(Version, Version.ToString(CultureInfo.InvariantCulture));

    public MembershipRow? Find(SiloAddress silo)
    {
        var key = silo.ToString();
        return Rows.Find(r => r.Silo == key);
    }

    /// <summary>Drops the oldest dead rows beyond <see cref="MaxDeadRows"/>.</summary>
    public void PruneDeadRows()
    {
        var dead = Rows.Where(r => r.Status == SiloStatus.Dead).OrderBy(r => r.StartTime).ToList();
        foreach (var row in dead.Take(Math.Max(0, dead.Count - MaxDeadRows)))
        {
            Rows.Remove(row);
        }
    }
}

/// <summary>One row of <see cref="MembershipDocument"/>.</summary>
internal sealed class MembershipRow
{
    public string Silo { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    [JsonConverter(typeof(JsonStringEnumConverter<SiloStatus>))]
    public SiloStatus Status { get; set; }

    public int? GatewayPort { get; set; }

    public DateTimeOffset StartTime { get; set; }

    public DateTimeOffset IAmAliveTime { get; set; }

    public List<SuspectRow> Suspects { get; set; } = [];

    public long ETag { get; set; }

    public static MembershipRow From(MembershipEntry entry, long etag) => new()
    {
        Silo = entry.SiloAddress.ToString(),
        Name = entry.SiloName,
        Status = entry.Status,
        GatewayPort = entry.GatewayPort,
        StartTime = entry.StartTime,
        IAmAliveTime = entry.IAmAliveTime,
        Suspects = entry.SuspectTimes.Select(v => new SuspectRow { Voter = v.Voter.ToString(), Time = v.Time }).ToList(),
        ETag = etag,
    };

    public VersionedEntry ToEntry(string location) => new(
        new MembershipEntry
        {
            SiloAddress = ParseSilo(Silo, location),
            SiloName = Name,
            Status = Status,
            GatewayPort = GatewayPort,
            StartTime = StartTime,
            IAmAliveTime = IAmAliveTime,
            SuspectTimes = Suspects.Select(s => new SuspectVote(ParseSilo(s.Voter, location), s.Time)).ToList(),
        },
        ETag.ToString(CultureInfo.InvariantCulture));

    private static SiloAddress ParseSilo(string text, string location) => SiloAddress.TryParse(text, out var silo)
        ? silo
        : throw new MembershipTableException($"The membership table at {location} names '{text}', which is not a silo address.");
}

/// <summary>A vote in a <see cref="MembershipRow"/>.</summary>
internal sealed class SuspectRow
{
    public string Voter { get; set; } = string.Empty;

    public DateTimeOffset Time { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MembershipDocument))]
internal sealed partial class MembershipJsonContext : JsonSerializerContext;
