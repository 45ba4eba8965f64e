namespace Weir.Grains.Wire;

/// <summary>
/// The kinds of frame on a Weir connection. Every frame is <c>[int32 length][byte type][payload]</c>,
/// little-endian, where length counts the type byte and the payload and is capped per connection.
/// A connection opens with the preamble <c>WEIR</c> and a <see cref="Hello"/> frame from the dialer,
/// answered by the preamble and a <see cref="HelloAck"/>; every other frame comes after that.
/// </summary>
internal enum FrameType : byte
{
    /// <summary>Dialer to acceptor: protocol version, role, cluster id, identity.</summary>
    Hello = 1,

    /// <summary>Acceptor to dialer: accepted (with the acceptor's identity) or rejected (with a reason).</summary>
    HelloAck = 2,

    /// <summary>A grain call: correlation id, target grain, method id, remaining timeout, forward count, arguments.</summary>
    Request = 3,

    /// <summary>The answer to a request: correlation id, then a result or an exception's type and message.</summary>
    Response = 4,

    /// <summary>A liveness probe; answered by <see cref="Pong"/> with the same number.</summary>
    Ping = 5,

    /// <summary>The answer to a probe.</summary>
    Pong = 6,

    /// <summary>Silo to silo: the membership table changed (its version); read it.</summary>
    MembershipChanged = 7,

    /// <summary>Gateway to client: the gateways of the cluster changed.</summary>
    GatewaysChanged = 8,

    /// <summary>Producer to consumer silo: a channel handle is bound to a channel id.</summary>
    ChannelOpen = 16,

    /// <summary>Producer to consumer silo: one element of a channel.</summary>
    ChannelData = 17,

    /// <summary>Consumer to producer silo: the consumer read elements; the producer may write that many more.</summary>
    ChannelCredit = 18,

    /// <summary>Producer to consumer silo: end of the channel; nothing follows.</summary>
    ChannelEnd = 19,

    /// <summary>Consumer to producer silo: the channel is refused or was closed; the producer's writer faults.</summary>
    ChannelReject = 20,

    /// <summary>
    /// Producer to consumer silo: a priority element of a channel (an unaligned checkpoint's
    /// barrier); it needs no credit and overtakes the elements buffered at the consumer.
    /// </summary>
    ChannelPriority = 21,
}

internal static class FrameTypes
{
    public static bool IsKnown(byte type) => type is >= (byte)FrameType.Hello and <= (byte)FrameType.GatewaysChanged
        or >= (byte)FrameType.ChannelOpen and <= (byte)FrameType.ChannelPriority;
}
