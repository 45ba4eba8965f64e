using System.Runtime.CompilerServices;
using Weir.Serialization;

namespace Weir.Streaming.Windowing;

/// <summary>Encodes a window as two zig-zag varints (start, size); registered when the assembly loads.</summary>
internal sealed class TimeWindowSerializer : ISerializer<TimeWindow>
{
    public void Write(DataWriter writer, TimeWindow value)
    {
        writer.WriteVarInt64(value.Start);
        writer.WriteVarInt64(value.End - value.Start);
    }

    public TimeWindow Read(ref DataReader reader)
    {
        var start = reader.ReadVarInt64();
        return new TimeWindow(start, start + reader.ReadVarInt64());
    }

#pragma warning disable CA2255 // Registering a serializer before any job can use the type is exactly what module initializers are for.
    [ModuleInitializer]
    internal static void Register() => Serializers.Register(new TimeWindowSerializer());
#pragma warning restore CA2255
}
