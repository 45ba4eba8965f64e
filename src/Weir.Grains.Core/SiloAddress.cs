using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using Weir.Serialization;

namespace Weir.Grains;

/// <summary>
/// The identity of one silo process: the endpoint other silos connect to, and a generation
/// (its start time), so that a silo restarted on the same endpoint is a different silo and the
/// old one can be declared dead. Formatted as <c>host:port@generation</c>.
/// </summary>
public sealed class SiloAddress : IEquatable<SiloAddress>, IComparable<SiloAddress>
{
    /// <summary>Creates an address.</summary>
    public SiloAddress(IPEndPoint endpoint, long generation)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Endpoint = endpoint;
        Generation = generation;
    }

    /// <summary>Where the silo accepts connections from other silos.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>Distinguishes successive processes on one endpoint: the silo's start time in ticks.</summary>
    public long Generation { get; }

    /// <summary>Parses <c>host:port@generation</c>.</summary>
    /// <exception cref="FormatException">The text is not a silo address.</exception>
    public static SiloAddress Parse(string text) => TryParse(text, out var address)
        ? address
        : throw new FormatException($"'{text}' is not a silo address: expected '<ip>:<port>@<generation>'.");

    /// <summary>Parses <c>host:port@generation</c>, returning false for malformed text.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out SiloAddress? address)
    {
        address = null;
        if (text is null || text.Length > 128)
        {
            return false;
        }

        var at = text.LastIndexOf('@');
        if (at <= 0
            || !IPEndPoint.TryParse(text.AsSpan(0, at), out var endpoint)
            || !long.TryParse(text.AsSpan(at + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var generation))
        {
            return false;
        }

        address = new SiloAddress(endpoint, generation);
        return true;
    }

    /// <summary>Whether both name the same endpoint (of this or another generation).</summary>
    public bool HasSameEndpoint(SiloAddress other) => Endpoint.Equals(other.Endpoint);

    /// <inheritdoc />
    public bool Equals(SiloAddress? other) => other is not null && Generation == other.Generation && Endpoint.Equals(other.Endpoint);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SiloAddress other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Endpoint, Generation);

    /// <summary>Orders by endpoint text, then generation: the order every silo agrees on.</summary>
    public int CompareTo(SiloAddress? other)
    {
        if (other is null)
        {
            return 1;
        }

        var byEndpoint = string.CompareOrdinal(Endpoint.ToString(), other.Endpoint.ToString());
        return byEndpoint != 0 ? byEndpoint : Generation.CompareTo(other.Generation);
    }

    /// <summary>Formats as <c>host:port@generation</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Endpoint}@{Generation}");

    /// <summary>Equality.</summary>
    public static bool operator ==(SiloAddress? left, SiloAddress? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(SiloAddress? left, SiloAddress? right) => !(left == right);

    internal void Write(DataWriter writer)
    {
        Span<byte> bytes = stackalloc byte[16];
        Endpoint.Address.TryWriteBytes(bytes, out var length);
        writer.WriteByte((byte)length);
        writer.WriteRaw(bytes[..length]);
        writer.WriteVarUInt64((ulong)Endpoint.Port);
        writer.WriteVarInt64(Generation);
    }

    internal static SiloAddress Read(ref DataReader reader)
    {
        var length = reader.ReadByte();
        if (length is not (4 or 16))
        {
            throw new SerializationException($"A silo address has {length} address bytes; expected 4 (IPv4) or 16 (IPv6).");
        }

        var address = new IPAddress(reader.ReadRaw(length));
        var port = reader.ReadVarUInt64();
        if (port > IPEndPoint.MaxPort)
        {
            throw new SerializationException($"A silo address has port {port}; ports go up to {IPEndPoint.MaxPort}.");
        }

        return new SiloAddress(new IPEndPoint(address, (int)port), reader.ReadVarInt64());
    }
}
