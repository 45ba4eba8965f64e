namespace Weir.Serialization.Tests;

public sealed class DataReaderWriterTests
{
    public static TheoryData<ulong, byte[]> UnsignedVarInts => new()
    {
        { 0UL, [0x00] },
        { 1UL, [0x01] },
        { 127UL, [0x7F] },
        { 128UL, [0x80, 0x01] },
        { 300UL, [0xAC, 0x02] },
        { 16_383UL, [0xFF, 0x7F] },
        { 16_384UL, [0x80, 0x80, 0x01] },
        { uint.MaxValue, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F] },
        { 1UL << 63, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01] },
        { ulong.MaxValue, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },
    };

    public static TheoryData<long, byte[]> SignedVarInts => new()
    {
        { 0L, [0x00] },
        { -1L, [0x01] },
        { 1L, [0x02] },
        { -64L, [0x7F] },
        { 63L, [0x7E] },
        { 64L, [0x80, 0x01] },
        { -65L, [0x81, 0x01] },
        { int.MaxValue, [0xFE, 0xFF, 0xFF, 0xFF, 0x0F] },
        { int.MinValue, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F] },
        { long.MaxValue, [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },
        { long.MinValue, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },
    };

    [Theory]
    [MemberData(nameof(UnsignedVarInts))]
    public void Unsigned_varints_encode_as_leb128_and_read_back(ulong value, byte[] encoded)
    {
        var writer = new DataWriter();
        writer.WriteVarUInt64(value);

        Assert.Equal(encoded, writer.ToArray());
        var reader = new DataReader(encoded);
        Assert.Equal(value, reader.ReadVarUInt64());
        Assert.True(reader.End);
    }

    [Theory]
    [MemberData(nameof(SignedVarInts))]
    public void Signed_varints_encode_zig_zag_so_small_magnitudes_stay_short(long value, byte[] encoded)
    {
        var writer = new DataWriter();
        writer.WriteVarInt64(value);

        Assert.Equal(encoded, writer.ToArray());
        var reader = new DataReader(encoded);
        Assert.Equal(value, reader.ReadVarInt64());
        Assert.True(reader.End);
    }

    [Fact]
    public void Every_varint_round_trips_in_a_random_sample_across_all_magnitudes()
    {
        var random = new Random(17);
        var writer = new DataWriter();
        var values = Enumerable.Range(0, 10_000).Select(_ => random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64)).ToArray();
        foreach (var value in values)
        {
            writer.WriteVarInt64(value);
            writer.WriteVarUInt64((ulong)value);
        }

        var reader = new DataReader(writer.WrittenSpan);
        foreach (var value in values)
        {
            Assert.Equal(value, reader.ReadVarInt64());
            Assert.Equal((ulong)value, reader.ReadVarUInt64());
        }

        Assert.True(reader.End);
    }

    [Fact]
    public void Varints_of_every_length_are_leb128_byte_for_byte_wherever_they_fall_in_the_buffer()
    {
        // The writer stores 2-8 byte varints as one word: against a byte-at-a-time encoder, for
        // every bit length, after 0-17 bytes already written (so some land at the end of the 16-byte buffer and grow it).
        foreach (var value in EveryBitLength(new Random(3)))
        {
            for (var before = 0; before <= 17; before++)
            {
                var writer = new DataWriter(16);
                var prefix = Enumerable.Range(1, before).Select(i => (byte)i).ToArray();
                foreach (var b in prefix)
                {
                    writer.WriteByte(b);
                }

                writer.WriteVarUInt64(value);
                writer.WriteByte(0xEE);

                Assert.Equal([.. prefix, .. Leb128(value), 0xEE], writer.ToArray());
            }
        }
    }

    [Fact]
    public void Varints_of_every_length_read_back_wherever_they_fall_and_however_many_bytes_follow_them()
    {
        // The reader takes 2-8 byte varints from one word when 8 bytes are left, else a byte at a time:
        // every bit length, with 0-9 bytes before and after (so both ways, and the switch between them).
        foreach (var value in EveryBitLength(new Random(5)))
        {
            for (var before = 0; before <= 9; before++)
            {
                for (var after = 0; after <= 9; after++)
                {
                    byte[] data = [.. Enumerable.Repeat((byte)0xFF, before), .. Leb128(value), .. Enumerable.Repeat((byte)0x80, after)];
                    var reader = new DataReader(data);
                    reader.ReadRaw(before);

                    Assert.Equal(value, reader.ReadVarUInt64());
                    Assert.Equal(data.Length - after, reader.Position);
                }
            }
        }
    }

    /// <summary>For every bit length from 0 to 64: the lowest value of that length, the highest, and one between.</summary>
    private static IEnumerable<ulong> EveryBitLength(Random random)
    {
        for (var bits = 0; bits <= 64; bits++)
        {
            var top = bits == 0 ? 0 : 1UL << (bits - 1);
            var all = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
            yield return top;
            yield return all;
            yield return top | ((ulong)random.NextInt64() & all);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x81, 0x00 }, 1UL)]
    [InlineData(new byte[] { 0x81, 0x80, 0x80, 0x00, 0x7F, 0x7F, 0x7F, 0x7F }, 1UL)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x01 }, (1UL << 56) - 1)]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00 }, 1UL << 56)]
    public void Padded_varints_read_as_their_value_whether_taken_whole_or_byte_by_byte(byte[] data, ulong expected)
    {
        var reader = new DataReader(data);

        Assert.Equal(expected, reader.ReadVarUInt64());
    }

    [Fact]
    public void A_varint_cut_short_or_longer_than_ten_bytes_is_an_error_saying_so()
    {
        var cut = Assert.Throws<SerializationException>(() => new DataReader([0x80, 0x80, 0x80]).ReadVarUInt64());
        Assert.Contains("a byte", cut.Message);

        var endless = Assert.Throws<SerializationException>(() => new DataReader([.. Enumerable.Repeat((byte)0x80, 16)]).ReadVarUInt64());
        Assert.Contains("longer than 10 bytes", endless.Message);
    }

    private static byte[] Leb128(ulong value)
    {
        var bytes = new List<byte>();
        for (; value >= 0x80; value >>= 7)
        {
            bytes.Add((byte)(value | 0x80));
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(300)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void A_reserved_varint_patched_afterwards_takes_five_bytes_and_reads_as_a_plain_varint(int value)
    {
        var writer = new DataWriter(16);
        writer.WriteByte(7);
        var at = writer.ReserveVarInt32();
        writer.WriteRaw(new byte[40]); // grows the buffer after the reservation
        writer.PatchVarInt32(at, value);

        Assert.Equal(1, at);
        var reader = new DataReader(writer.WrittenSpan);
        Assert.Equal(7, reader.ReadByte());
        Assert.Equal(value, reader.ReadVarInt32());
        Assert.Equal(40, reader.Remaining);
    }

    [Fact]
    public void A_varint_longer_than_ten_bytes_is_refused()
    {
        var error = Assert.Throws<SerializationException>(() => new DataReader(Enumerable.Repeat((byte)0x80, 11).ToArray()).ReadVarUInt64());

        Assert.Contains("longer than 10 bytes", error.Message);
    }

    [Fact]
    public void A_truncated_varint_fails_saying_it_is_truncated()
    {
        var error = Assert.Throws<SerializationException>(() => new DataReader([0x80, 0x80]).ReadVarUInt64());

        Assert.Contains("truncated", error.Message);
        Assert.Contains("at byte 2", error.Message);
    }

    [Fact]
    public void Reading_past_the_end_names_what_was_expected_and_where()
    {
        var error = Assert.Throws<SerializationException>(() => new DataReader([1, 2, 3]).ReadInt32());

        Assert.Equal("Expected a 32-bit integer at byte 0, but the data ends at byte 3: it is truncated or corrupt.", error.Message);
    }

    [Fact]
    public void A_length_prefix_beyond_the_remaining_bytes_fails_before_reading()
    {
        var writer = new DataWriter();
        writer.WriteVarUInt64(1_000_001);
        writer.WriteRaw([1, 2, 3]);

        var error = Assert.Throws<SerializationException>(() => new DataReader(writer.WrittenSpan).ReadBytes());

        Assert.Contains("a byte array at byte 3 claims 1000000 bytes but only 3 remain: the data is truncated or corrupt", error.Message);
    }

    [Fact]
    public void A_boolean_byte_other_than_0_or_1_is_refused()
    {
        var error = Assert.Throws<SerializationException>(() => new DataReader([2]).ReadBoolean());

        Assert.Contains("Expected a boolean (0 or 1) at byte 0, found 2", error.Message);
    }

    [Fact]
    public void The_writer_grows_past_its_initial_capacity_and_reset_reuses_it()
    {
        var writer = new DataWriter(1);
        byte[] large = [.. Enumerable.Range(0, 5000).Select(i => (byte)i)];
        writer.WriteInt64(-2);
        writer.WriteRaw(large);
        writer.WriteString(new string('x', 3000));

        var reader = new DataReader(writer.WrittenSpan);
        Assert.Equal(-2, reader.ReadInt64());
        Assert.Equal(large, reader.ReadRaw(5000).ToArray());
        Assert.Equal(new string('x', 3000), reader.ReadString());

        writer.Reset();
        Assert.Equal(0, writer.Length);
        writer.WriteUInt32(uint.MaxValue);
        Assert.Equal(uint.MaxValue, new DataReader(writer.WrittenSpan).ReadUInt32());
    }

    [Fact]
    public void A_pooled_writer_writes_what_a_plain_one_does_as_it_grows_and_gives_its_buffer_back()
    {
        var (plain, pooled) = (new DataWriter(16), DataWriter.Pooled(16));
        var random = new Random(5);
        for (var i = 0; i < 50_000; i++)
        {
            var value = random.NextInt64() >> random.Next(64);
            plain.WriteVarInt64(value);
            pooled.WriteVarInt64(value);
        }

        Assert.Equal(plain.WrittenSpan.ToArray(), pooled.WrittenSpan.ToArray());
        pooled.ReturnBuffer();
        Assert.Equal(0, pooled.Length);
        pooled.ReturnBuffer();
        plain.ReturnBuffer();
        Assert.True(plain.Length > 200_000);
    }

    [Fact]
    public void Patching_an_int32_overwrites_a_length_written_earlier()
    {
        var writer = new DataWriter();
        writer.WriteByte(9);
        writer.WriteInt32(0);
        writer.WriteRaw([1, 2, 3]);
        writer.PatchInt32(1, 3);

        var reader = new DataReader(writer.WrittenSpan);
        Assert.Equal(9, reader.ReadByte());
        Assert.Equal(3, reader.ReadInt32());
        Assert.Equal((5, 3), (reader.Position, reader.Remaining));
    }
}
