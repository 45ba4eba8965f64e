using System.Buffers;
using System.Buffers.Binary;
using Weir.Serialization;

namespace Weir.Grains.Wire;

/// <summary>What <see cref="Frames.TryRead"/> found at the start of a buffer.</summary>
internal enum FrameParse
{
    /// <summary>Not a whole frame yet: read more.</summary>
    Incomplete,

    /// <summary>A whole frame.</summary>
    Frame,

    /// <summary>The length prefix exceeds the cap (or is below the minimum): the peer is broken or hostile.</summary>
    BadLength,
}

/// <summary>Length-prefixed framing: parsing frames out of a byte sequence and writing them into a <see cref="DataWriter"/>.</summary>
internal static class Frames
{
    /// <summary>Bytes before the payload: the length prefix and the type byte.</summary>
    public const int HeaderBytes = 5;

    /// <summary>The preamble each side sends before its first frame.</summary>
    public static ReadOnlySpan<byte> Preamble => "WEIR"u8;

    /// <summary>
    /// Takes one frame off the front of <paramref name="buffer"/> if it is all there. A length
    /// prefix over <paramref name="maxFrameBytes"/> is reported as soon as the 4 bytes of the
    /// prefix arrived, before any of the frame is buffered.
    /// </summary>
    public static FrameParse TryRead(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out byte type, out ReadOnlySequence<byte> payload, out long declaredLength)
    {
        type = 0;
        payload = default;
        declaredLength = 0;
        if (buffer.Length < 4)
        {
            return FrameParse.Incomplete;
        }

        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        declaredLength = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (declaredLength < 1 || declaredLength > maxFrameBytes)
        {
            return FrameParse.BadLength;
        }

        if (buffer.Length < 4 + declaredLength)
        {
            return FrameParse.Incomplete;
        }

        type = buffer.Slice(4, 1).FirstSpan[0];
        payload = buffer.Slice(5, declaredLength - 1);
        buffer = buffer.Slice(4 + declaredLength);
        return FrameParse.Frame;
    }

    /// <summary>Starts a frame at the writer's position; returns where it starts, for <see cref="End"/>.</summary>
    public static int Begin(DataWriter writer, FrameType type)
    {
        var start = writer.Length;
        writer.WriteInt32(0);
        writer.WriteByte((byte)type);
        return start;
    }

    /// <summary>Patches the length of the frame begun at <paramref name="start"/>; returns the frame's length (type and payload).</summary>
    public static int End(DataWriter writer, int start)
    {
        var length = writer.Length - start - 4;
        writer.PatchInt32(start, length);
        return length;
    }
}
