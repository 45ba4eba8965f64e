namespace Weir.Grains.Transport;

/// <summary>Limits and timeouts of connections; the silo and the client derive them from their options.</summary>
internal sealed class ConnectionOptions
{
    /// <summary>The default frame size cap: 16 MiB.</summary>
    public const int DefaultMaxFrameBytes = 16 * 1024 * 1024;

    /// <summary>The largest frame sent or accepted (type byte and payload); a peer that announces more is cut off.</summary>
    public int MaxFrameBytes { get; init; } = DefaultMaxFrameBytes;

    /// <summary>How long a peer may take to complete the handshake.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a TCP connect may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock of the timeouts.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Bytes queued for sending beyond which the connection is considered stuck and closed.</summary>
    public long MaxOutboxBytes => Math.Max(256L << 20, 4L * MaxFrameBytes);
}

/// <summary>Why a connection closed, which decides how loudly it is logged.</summary>
internal enum CloseKind
{
    /// <summary>This side closed it on purpose (shutdown, a replaced or dead peer).</summary>
    Local,

    /// <summary>The peer closed it, or the network did.</summary>
    Remote,

    /// <summary>The peer broke the protocol: garbage, an oversized frame, a wrong cluster id, a malformed frame.</summary>
    ProtocolViolation,
}

/// <summary>A connection attempt or its handshake failed; the message says why.</summary>
internal sealed class ConnectionFailedException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>The peer refused the handshake; <see cref="Code"/> says why.</summary>
internal sealed class ConnectionRejectedException(Wire.RejectCode code, string message) : IOException(message)
{
    public Wire.RejectCode Code { get; } = code;
}
