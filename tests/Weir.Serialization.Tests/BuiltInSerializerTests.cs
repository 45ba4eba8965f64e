using System.Text.Json;

namespace Weir.Serialization.Tests;

public sealed class BuiltInSerializerTests
{
    public enum Color
    {
        Red = 1,
        Green = 2,
        Negative = -7,
    }

    public enum Small : byte
    {
        A = 0,
        B = 255,
    }

    [Flags]
    public enum Huge : ulong
    {
        None = 0,
        Top = 1UL << 63,
        All = ulong.MaxValue,
    }

    public sealed record Order(string Id, decimal Amount, List<string> Lines, Color Color);

    public sealed class Point
    {
        public int X;
        public int Y;
    }

    [Fact]
    public void Integers_round_trip_at_their_edges()
    {
        Assert.All(new[] { false, true }, v => Assert.Equal(v, RoundTrip.Of(v)));
        Assert.All(new byte[] { 0, 1, 255 }, v => Assert.Equal(v, RoundTrip.Of(v)));
        Assert.All(new short[] { short.MinValue, -1, 0, 1, short.MaxValue }, v => Assert.Equal(v, RoundTrip.Of(v)));
        Assert.All(new ushort[] { 0, 128, ushort.MaxValue }, v => Assert.Equal(v, RoundTrip.Of(v)));
        Assert.All(new[] { int.MinValue, -64, -1, 0, 63, 64, int.MaxValue }, v => Assert.Equal(v, RoundTrip.Of(v)));
        Assert.All(new[] { 0u, 127u, 128u, uint.MaxValue }, v => Assert.Equal(v, RoundTrip.Of(v)));
        Assert.All(new[] { long.MinValue, -1L, 0L, 1L << 35, long.MaxValue }, v => Assert.Equal(v, RoundTrip.Of(v)));
        Assert.All(new[] { 0UL, 1UL << 63, ulong.MaxValue }, v => Assert.Equal(v, RoundTrip.Of(v)));
    }

    [Fact]
    public void Floating_point_values_round_trip_bit_for_bit()
    {
        foreach (var value in new[] { 0.0, -0.0, double.Epsilon, double.MaxValue, double.MinValue, double.NaN, double.PositiveInfinity, double.NegativeInfinity, Math.PI })
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(RoundTrip.Of(value)));
        }

        foreach (var value in new[] { 0f, -0f, float.Epsilon, float.MaxValue, float.NaN, float.NegativeInfinity, 1.5f })
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(value), BitConverter.SingleToInt32Bits(RoundTrip.Of(value)));
        }
    }

    [Fact]
    public void Decimals_round_trip_with_their_scale()
    {
        foreach (var value in new[] { 0m, 1.2300m, -1.23m, decimal.MaxValue, decimal.MinValue, 0.0000000000000000000000000001m })
        {
            Assert.Equal(decimal.GetBits(value), decimal.GetBits(RoundTrip.Of(value)));
        }
    }

    [Fact]
    public void Chars_round_trip_across_the_basic_plane()
    {
        Assert.All(new[] { '\0', 'a', 'é', '\u2603', '\ud83c', '\uffff' }, v => Assert.Equal(v, RoundTrip.Of(v)));
    }

    [Fact]
    public void Strings_round_trip_with_null_distinct_from_empty()
    {
        Assert.Null(RoundTrip.Of<string?>(null));
        Assert.Equal(string.Empty, RoundTrip.Of(string.Empty));
        Assert.Equal("wörd 🌊 ∑ 日本語", RoundTrip.Of("wörd 🌊 ∑ 日本語"));
        var large = string.Concat(Enumerable.Repeat("ß🌊x", 500));
        Assert.Equal(large, RoundTrip.Of(large));
        Assert.NotEqual(RoundTrip.Write<string?>(null), RoundTrip.Write(string.Empty));
    }

    [Fact]
    public void Byte_arrays_round_trip_with_null_distinct_from_empty()
    {
        Assert.Null(RoundTrip.Of<byte[]?>(null));
        Assert.Empty(RoundTrip.Of(Array.Empty<byte>())!);
        byte[] data = [.. Enumerable.Range(0, 1000).Select(i => (byte)i)];
        Assert.Equal(data, RoundTrip.Of(data));
    }

    [Fact]
    public void Guids_and_time_types_round_trip_with_kind_and_offset()
    {
        var guid = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        Assert.Equal(guid, RoundTrip.Of(guid));
        Assert.Equal(Guid.Empty, RoundTrip.Of(Guid.Empty));

        foreach (var value in new[] { DateTime.MinValue, DateTime.MaxValue, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(7), new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Unspecified), new DateTime(2026, 6, 1, 12, 0, 0, DateTimeKind.Local) })
        {
            var read = RoundTrip.Of(value);
            Assert.Equal((value.Ticks, value.Kind), (read.Ticks, read.Kind));
        }

        foreach (var value in new[]
        {
            DateTimeOffset.MinValue,
            DateTimeOffset.MaxValue,
            new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(5.5)).AddTicks(9),
            new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(-8)),
            new DateTimeOffset(DateTime.MaxValue.AddTicks(-1), TimeSpan.FromHours(14)),
            new DateTimeOffset(DateTime.MinValue.AddTicks(1), TimeSpan.FromHours(-14)),
        })
        {
            var read = RoundTrip.Of(value);
            Assert.Equal((value.UtcTicks, value.Offset), (read.UtcTicks, read.Offset));
        }

        Assert.All(new[] { TimeSpan.MinValue, TimeSpan.Zero, TimeSpan.FromTicks(-1), TimeSpan.MaxValue }, v => Assert.Equal(v, RoundTrip.Of(v)));
    }

    [Fact]
    public void Enums_round_trip_whatever_their_underlying_type()
    {
        Assert.Equal(Color.Green, RoundTrip.Of(Color.Green));
        Assert.Equal(Color.Negative, RoundTrip.Of(Color.Negative));
        Assert.Equal((Color)42, RoundTrip.Of((Color)42));
        Assert.Equal(Small.B, RoundTrip.Of(Small.B));
        Assert.Equal(Huge.None, RoundTrip.Of(Huge.None));
        Assert.Equal(Huge.Top, RoundTrip.Of(Huge.Top));
        Assert.Equal(Huge.All, RoundTrip.Of(Huge.All));
    }

    [Fact]
    public void Enum_encodings_stay_the_same_small_varints()
    {
        Assert.Equal([0x04], RoundTrip.Write(Color.Green));
        Assert.Equal([0x0D], RoundTrip.Write(Color.Negative));
        Assert.Equal([0xFE, 0x03], RoundTrip.Write(Small.B));
        Assert.Equal([0x01], RoundTrip.Write(Huge.All));
    }

    [Fact]
    public void Enums_are_written_and_read_without_allocating()
    {
        var serializer = Serializers.Get<Color>();
        var writer = new DataWriter(1 << 16);
        var mismatches = 0;
        void WriteAndRead()
        {
            writer.Reset();
            for (var i = 0; i < 1_000; i++)
            {
                serializer.Write(writer, (Color)(i - 500));
            }

            var reader = new DataReader(writer.WrittenSpan);
            for (var i = 0; i < 1_000; i++)
            {
                mismatches += serializer.Read(ref reader) == (Color)(i - 500) ? 0 : 1;
            }
        }

        WriteAndRead();
        var before = GC.GetAllocatedBytesForCurrentThread();
        WriteAndRead();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void Nullables_round_trip_both_null_and_a_value()
    {
        Assert.Null(RoundTrip.Of<int?>(null));
        Assert.Equal(-5, RoundTrip.Of<int?>(-5));
        Assert.Null(RoundTrip.Of<Guid?>(null));
        Assert.Equal(Guid.Empty, RoundTrip.Of<Guid?>(Guid.Empty));
        Assert.Equal(Color.Red, RoundTrip.Of<Color?>(Color.Red));
        Assert.Equal(0, RoundTrip.Of<long?>(0));
    }

    [Fact]
    public void Tuples_round_trip_element_by_element()
    {
        Assert.Equal(("a", 1), RoundTrip.Of(("a", 1)));
        Assert.Equal((1L, "b", 2.5), RoundTrip.Of((1L, "b", 2.5)));
        Assert.Equal(((string?)null, 1, true, Guid.Empty), RoundTrip.Of(((string?)null, 1, true, Guid.Empty)));
        Assert.Equal(Tuple.Create("x", 2), RoundTrip.Of(Tuple.Create("x", 2)));
        Assert.Equal(Tuple.Create("x", 2, 'c'), RoundTrip.Of(Tuple.Create("x", 2, 'c')));
        Assert.Null(RoundTrip.Of<Tuple<string, int>?>(null));
        Assert.Equal(new KeyValuePair<string, long>("k", 9), RoundTrip.Of(new KeyValuePair<string, long>("k", 9)));
    }

    [Fact]
    public void Arrays_lists_and_dictionaries_round_trip_with_null_distinct_from_empty()
    {
        Assert.Null(RoundTrip.Of<int[]?>(null));
        Assert.Empty(RoundTrip.Of(Array.Empty<int>())!);
        Assert.Equal([1, -2, int.MaxValue], RoundTrip.Of(new[] { 1, -2, int.MaxValue }));
        Assert.Equal(new[] { "a", null, "" }, RoundTrip.Of(new[] { "a", null, "" }));

        Assert.Null(RoundTrip.Of<List<string>?>(null));
        Assert.Empty(RoundTrip.Of(new List<string>())!);
        var nested = new List<List<int>> { new() { 1, 2 }, new(), new() { 3 } };
        Assert.Equal(nested, RoundTrip.Of(nested));

        Assert.Null(RoundTrip.Of<Dictionary<string, int>?>(null));
        Assert.Empty(RoundTrip.Of(new Dictionary<string, int>())!);
        var map = new Dictionary<string, List<long>> { ["a"] = [1, 2], ["ü"] = [], ["c"] = [long.MinValue] };
        Assert.Equal(map, RoundTrip.Of(map));
        var byTuple = new Dictionary<(string, int), Color?> { [("x", 1)] = Color.Red, [("y", 2)] = null };
        Assert.Equal(byTuple, RoundTrip.Of(byTuple));
    }

    [Fact]
    public void A_record_without_a_built_in_serializer_round_trips_through_the_json_fallback()
    {
        var order = new Order("o-1", 12.50m, ["apple", "päar"], Color.Green);

        var read = RoundTrip.Of(order);

        Assert.Equal((order.Id, order.Amount, order.Color), (read.Id, read.Amount, read.Color));
        Assert.Equal(order.Lines, read.Lines);
        Assert.Equal(JsonSerializer.Serialize(order), System.Text.Encoding.UTF8.GetString(RoundTrip.Write(order).AsSpan(1)));
    }

    [Fact]
    public void A_class_with_public_fields_round_trips_through_the_json_fallback()
    {
        var read = RoundTrip.Of(new Point { X = 3, Y = -4 });

        Assert.Equal((3, -4), (read.X, read.Y));
    }

    [Fact]
    public void Json_that_does_not_fit_the_type_fails_with_a_serialization_exception_naming_the_type()
    {
        var writer = new DataWriter();
        writer.WriteBytes("{\"X\": \"not a number\"}"u8.ToArray());

        var error = Assert.Throws<SerializationException>(() =>
        {
            var reader = new DataReader(writer.WrittenSpan);
            Serializers.Get<Point>().Read(ref reader);
        });

        Assert.Contains("Could not read a Point from its JSON", error.Message);
    }

    [Fact]
    public void Every_truncation_of_every_built_in_type_fails_saying_the_data_is_truncated()
    {
        RoundTrip.AssertEveryTruncationFails(true);
        RoundTrip.AssertEveryTruncationFails((byte)7);
        RoundTrip.AssertEveryTruncationFails(short.MinValue);
        RoundTrip.AssertEveryTruncationFails(ushort.MaxValue);
        RoundTrip.AssertEveryTruncationFails(int.MinValue);
        RoundTrip.AssertEveryTruncationFails(uint.MaxValue);
        RoundTrip.AssertEveryTruncationFails(long.MinValue);
        RoundTrip.AssertEveryTruncationFails(ulong.MaxValue);
        RoundTrip.AssertEveryTruncationFails(1.5f);
        RoundTrip.AssertEveryTruncationFails(Math.PI);
        RoundTrip.AssertEveryTruncationFails(decimal.MinValue);
        RoundTrip.AssertEveryTruncationFails('\uffff');
        RoundTrip.AssertEveryTruncationFails("wörd 🌊");
        RoundTrip.AssertEveryTruncationFails(string.Concat(Enumerable.Repeat("long", 100)));
        RoundTrip.AssertEveryTruncationFails(new byte[] { 1, 2, 3 });
        RoundTrip.AssertEveryTruncationFails(Guid.NewGuid());
        RoundTrip.AssertEveryTruncationFails(DateTime.UtcNow);
        RoundTrip.AssertEveryTruncationFails(DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(2)));
        RoundTrip.AssertEveryTruncationFails(TimeSpan.MaxValue);
        RoundTrip.AssertEveryTruncationFails(Color.Negative);
        RoundTrip.AssertEveryTruncationFails<int?>(5);
        RoundTrip.AssertEveryTruncationFails(("a", 1L, 'c', 2.0));
        RoundTrip.AssertEveryTruncationFails(Tuple.Create("a", 1));
        RoundTrip.AssertEveryTruncationFails(Enumerable.Range(0, 200).ToArray());
        RoundTrip.AssertEveryTruncationFails(new List<string?> { "a", null, "c" });
        RoundTrip.AssertEveryTruncationFails(new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 });
        RoundTrip.AssertEveryTruncationFails(new Order("o-1", 1m, ["x"], Color.Red));
    }

    [Fact]
    public void An_array_claiming_more_elements_than_bytes_left_fails_as_truncated_without_allocating_for_the_claim()
    {
        // A corrupt length: a billion longs, then one byte.
        var writer = new DataWriter();
        writer.WriteVarUInt64(1_000_000_001);
        writer.WriteVarInt64(7);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<SerializationException>(() =>
        {
            var reader = new DataReader(writer.WrittenSpan);
            Serializers.Get<long[]>().Read(ref reader);
        });

        Assert.Contains("truncated", error.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000, "the reader allocated for the billion elements the data claimed");
    }
}
