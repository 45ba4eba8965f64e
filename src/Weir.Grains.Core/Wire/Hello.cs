using System.Net;
using Weir.Serialization;

namespace Weir.Grains.Wire;

/// <summary>Who opens a connection: another silo (on the silo port) or a grain client (on the gateway port).</summary>
internal enum ConnectionRole : byte
{
    Silo = 1,
    Client = 2,
}

/// <summary>
/// The dialer's first frame. The acceptor checks the protocol version, the role (silos on the
/// silo port, clients on the gateway port) and the cluster id before anything else is read.
/// </summary>
internal sealed record Hello(ushort ProtocolVersion, ConnectionRole Role, string ClusterId, SiloAddress? Silo, string Name)
{
    /// <summary>The version this build speaks.</summary>
    public const ushort CurrentVersion = 1;

    /// <summary>The most bytes a Hello may take: the acceptor reads no more from an unknown peer.</summary>
    public const int MaxBytes = 4096;

    public void Write(DataWriter writer)
    {
        writer.WriteVarUInt64(ProtocolVersion);
        writer.WriteByte((byte)Role);
        writer.WriteString(ClusterId);
        writer.WriteBoolean(Silo is not null);
        Silo?.Write(writer);
        writer.WriteString(Name);
    }

    /// <summary>Reads a Hello; a newer version's extra fields after these are ignored.</summary>
    public static Hello Read(ReadOnlySpan<byte> payload)
    {
        var reader = new DataReader(payload);
        var version = reader.ReadVarUInt64();
        if (version > ushort.MaxValue)
        {
            throw new SerializationException($"Protocol version {version} is out of range.");
        }

        var role = (ConnectionRole)reader.ReadByte();
        if (role is not (ConnectionRole.Silo or ConnectionRole.Client))
        {
            throw new SerializationException($"Unknown connection role {(byte)role}.");
        }

        var clusterId = reader.ReadString() ?? throw new SerializationException("The cluster id is missing.");
        var silo = reader.ReadBoolean() ? SiloAddress.Read(ref reader) : null;
        var name = reader.ReadString() ?? string.Empty;
        if (role == ConnectionRole.Silo && silo is null)
        {
            throw new SerializationException("A silo's Hello carries no silo address.");
        }

        return new Hello((ushort)version, role, clusterId, silo, name);
    }
}

/// <summary>Why an acceptor refused a connection.</summary>
internal enum RejectCode : byte
{
    None = 0,
    ClusterMismatch = 1,
    VersionMismatch = 2,
    WrongPort = 3,
    Duplicate = 4,
    DeclaredDead = 5,
    Unavailable = 6,
}

/// <summary>
/// The acceptor's answer. Accepted: its identity, and for a client the grain interface map
/// (interface → grain type) and the cluster's gateways. Rejected: a code and a reason that the
/// dialer reports.
/// </summary>
internal sealed record HelloAck(
    RejectCode Rejection,
    string Reason,
    SiloAddress? Silo,
    string Name,
    IReadOnlyList<KeyValuePair<string, string>> GrainInterfaces,
    IReadOnlyList<IPEndPoint> Gateways)
{
    public bool Accepted => Rejection == RejectCode.None;

    public static HelloAck Accept(SiloAddress silo, string name, IReadOnlyList<KeyValuePair<string, string>>? grainInterfaces = null, IReadOnlyList<IPEndPoint>? gateways = null) =>
        new(RejectCode.None, string.Empty, silo, name, grainInterfaces ?? [], gateways ?? []);

    public static HelloAck Reject(RejectCode code, string reason) => new(code, reason, null, string.Empty, [], []);

    public void Write(DataWriter writer)
    {
        writer.WriteByte((byte)Rejection);
        if (!Accepted)
        {
            writer.WriteString(Reason);
            return;
        }

        Silo!.Write(writer);
        writer.WriteString(Name);
        writer.WriteVarUInt64((ulong)GrainInterfaces.Count);
        foreach (var (grainInterface, grainType) in GrainInterfaces)
        {
            writer.WriteString(grainInterface);
            writer.WriteString(grainType);
        }

        GatewayList.Write(writer, Gateways);
    }

    public static HelloAck Read(ReadOnlySpan<byte> payload)
    {
        var reader = new DataReader(payload);
        var code = (RejectCode)reader.ReadByte();
        if (code != RejectCode.None)
        {
            return Reject(code, reader.ReadString() ?? string.Empty);
        }

        var silo = SiloAddress.Read(ref reader);
        var name = reader.ReadString() ?? string.Empty;
        var count = GatewayList.ReadCount(ref reader, bytesPerItem: 2);
        var interfaces = new List<KeyValuePair<string, string>>(count);
        for (var i = 0; i < count; i++)
        {
            var grainInterface = reader.ReadString() ?? throw new SerializationException("A grain interface name is missing.");
            var grainType = reader.ReadString() ?? throw new SerializationException("A grain type name is missing.");
            interfaces.Add(new(grainInterface, grainType));
        }

        return Accept(silo, name, interfaces, GatewayList.Read(ref reader));
    }
}

/// <summary>The encoding of a list of gateway endpoints (in a client's HelloAck and in GatewaysChanged).</summary>
internal static class GatewayList
{
    public static void Write(DataWriter writer, IReadOnlyList<IPEndPoint> gateways)
    {
        writer.WriteVarUInt64((ulong)gateways.Count);
        foreach (var gateway in gateways)
        {
            writer.WriteString(gateway.ToString());
        }
    }

    public static List<IPEndPoint> Read(ref DataReader reader)
    {
        var count = ReadCount(ref reader, bytesPerItem: 1);
        var gateways = new List<IPEndPoint>(count);
        for (var i = 0; i < count; i++)
        {
            var text = reader.ReadString();
            if (!IPEndPoint.TryParse(text ?? string.Empty, out var endpoint))
            {
                throw new SerializationException($"'{text}' is not a gateway endpoint.");
            }

            gateways.Add(endpoint);
        }

        return gateways;
    }

    /// <summary>Reads a count that the remaining bytes can possibly hold (so a forged count cannot allocate much).</summary>
    public static int ReadCount(ref DataReader reader, int bytesPerItem)
    {
        var count = reader.ReadVarUInt64();
        if (count > (ulong)(reader.Remaining / bytesPerItem))
        {
            throw new SerializationException($"A list claims {count} items but only {reader.Remaining} bytes remain.");
        }

        return (int)count;
    }
}
