using Weir.Serialization;

namespace Weir.Serialization.Tests;

/// <summary>Writes a value with its type's serializer and reads it back, checking every byte was read.</summary>
internal static class RoundTrip
{
    public static byte[] Write<T>(T value)
    {
        var writer = new DataWriter(16);
        Serializers.Get<T>().Write(writer, value);
        return writer.ToArray();
    }

    public static T Read<T>(byte[] bytes)
    {
        var reader = new DataReader(bytes);
        var value = Serializers.Get<T>().Read(ref reader);
        Assert.True(reader.End, $"{reader.Remaining} of {bytes.Length} bytes of a {typeof(T).Name} were not read");
        return value;
    }

    public static T Of<T>(T value) => Read<T>(Write(value));

    /// <summary>Reading any strict prefix of <paramref name="value"/>'s encoding fails with a SerializationException that says the data is truncated.</summary>
    public static void AssertEveryTruncationFails<T>(T value)
    {
        var bytes = Write(value);
        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes[..length];
            var error = Assert.Throws<SerializationException>(() =>
            {
                var reader = new DataReader(prefix);
                Serializers.Get<T>().Read(ref reader);
            });
            Assert.True(error.Message.Contains("truncated", StringComparison.Ordinal), $"{typeof(T).Name} cut to {length} of {bytes.Length} bytes: {error.Message}");
        }
    }
}
