using Weir.Serialization;

namespace Weir.Grains.Wire;

/// <summary>
/// The head of a Request frame; the method's encoded arguments follow it to the end of the frame.
/// The timeout travels as what remains of the caller's (milliseconds, 0 for none): clocks of
/// two machines are never compared. A silo that forwards a call (it no longer owns the grain)
/// increments <see cref="ForwardCount"/>.
/// </summary>
internal readonly record struct RequestHeader(ulong CorrelationId, GrainId Target, uint MethodId, uint TimeoutMilliseconds, byte ForwardCount)
{
    /// <summary>The most times a call is forwarded before it fails: placement views that disagree longer than that are reported, not chased.</summary>
    public const byte MaxForwardCount = 2;

    /// <summary>Longest grain type and key accepted off the wire, in characters.</summary>
    public const int MaxGrainIdChars = 4096;

    public void Write(DataWriter writer)
    {
        writer.WriteVarUInt64(CorrelationId);
        writer.WriteString(Target.Type);
        writer.WriteString(Target.Key);
        writer.WriteUInt32(MethodId);
        writer.WriteVarUInt64(TimeoutMilliseconds);
        writer.WriteByte(ForwardCount);
    }

    public static RequestHeader Read(ref DataReader reader)
    {
        var correlationId = reader.ReadVarUInt64();
        var type = reader.ReadString();
        var key = reader.ReadString();
        if (type is null || key is null || type.Length == 0 || type.Contains('/') || type.Length + key.Length > MaxGrainIdChars)
        {
            throw new SerializationException($"A request names no valid grain (type '{Truncate(type)}').");
        }

        var methodId = reader.ReadUInt32();
        var timeout = reader.ReadVarUInt64();
        var forwardCount = reader.ReadByte();
        return new RequestHeader(correlationId, new GrainId(type, key), methodId, (uint)Math.Min(timeout, uint.MaxValue), forwardCount);
    }

    public static uint ToMilliseconds(TimeSpan remaining) =>
        remaining == Timeout.InfiniteTimeSpan ? 0 : (uint)Math.Clamp(Math.Ceiling(remaining.TotalMilliseconds), 1, uint.MaxValue);

    private static string? Truncate(string? text) => text is { Length: > 64 } ? text[..64] + "..." : text;
}

/// <summary>How a call ended.</summary>
internal enum ResponseStatus : byte
{
    /// <summary>The method returned; its encoded result follows (nothing for a void method).</summary>
    Ok = 0,

    /// <summary>The method (or the runtime) threw; the exception's type name and message follow.</summary>
    Exception = 1,
}

/// <summary>
/// The body of a Response frame after its correlation id: a status byte, then the result or
/// the exception. Exceptions cross as type name and message and are rebuilt by <see cref="RemoteExceptions"/>.
/// </summary>
internal static class ResponseBody
{
    public static void WriteOk(DataWriter writer, ulong correlationId)
    {
        writer.WriteVarUInt64(correlationId);
        writer.WriteByte((byte)ResponseStatus.Ok);
    }

    public static void WriteException(DataWriter writer, ulong correlationId, Exception exception)
    {
        writer.WriteVarUInt64(correlationId);
        writer.WriteByte((byte)ResponseStatus.Exception);
        RemoteExceptions.Write(writer, exception);
    }

    /// <summary>Completes <paramref name="completion"/> from a response body: with the decoded result, or with the rebuilt exception.</summary>
    public static void Complete<T>(ReadOnlySpan<byte> body, TaskCompletionSource<T> completion)
    {
        var reader = new DataReader(body);
        if (ReadStatus(ref reader, out var exception) == ResponseStatus.Ok)
        {
            completion.TrySetResult(Serializers.Get<T>().Read(ref reader));
        }
        else
        {
            completion.TrySetException(exception!);
        }
    }

    /// <summary>Completes <paramref name="completion"/> from the response body of a method without a result.</summary>
    public static void Complete(ReadOnlySpan<byte> body, TaskCompletionSource completion)
    {
        var reader = new DataReader(body);
        if (ReadStatus(ref reader, out var exception) == ResponseStatus.Ok)
        {
            completion.TrySetResult();
        }
        else
        {
            completion.TrySetException(exception!);
        }
    }

    /// <summary>Reads the status; for <see cref="ResponseStatus.Exception"/>, also the rebuilt exception.</summary>
    public static ResponseStatus ReadStatus(ref DataReader reader, out Exception? exception)
    {
        var status = (ResponseStatus)reader.ReadByte();
        switch (status)
        {
            case ResponseStatus.Ok:
                exception = null;
                return status;
            case ResponseStatus.Exception:
                exception = RemoteExceptions.Read(ref reader);
                return status;
            default:
                throw new SerializationException($"Unknown response status {(byte)status}.");
        }
    }
}
