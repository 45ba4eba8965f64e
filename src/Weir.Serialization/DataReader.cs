using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Weir.Serialization;

/// <summary>Reads what <see cref="DataWriter"/> wrote. Reading past the end fails with a <see cref="SerializationException"/> saying what was cut short.</summary>
public ref struct DataReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    /// <summary>Reads from <paramref name="data"/>.</summary>
    public DataReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>Bytes read so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes left.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>True when everything was read.</summary>
    public readonly bool End => _position >= _data.Length;

    /// <summary>Reads one byte.</summary>
    public byte ReadByte()
    {
        Need(1, "a byte");
        return _data[_position++];
    }

    /// <summary>Reads a boolean.</summary>
    public bool ReadBoolean() => ReadByte() switch
    {
        0 => false,
        1 => true,
        var b => throw new SerializationException($"Expected a boolean (0 or 1) at byte {_position - 1}, found {b}."),
    };

    /// <summary>Reads 4 bytes, little-endian.</summary>
    public int ReadInt32()
    {
        Need(4, "a 32-bit integer");
        var value = BinaryPrimitives.ReadInt32LittleEndian(_data[_position..]);
        _position += 4;
        return value;
    }

    /// <summary>Reads 4 bytes, little-endian.</summary>
    public uint ReadUInt32()
    {
        Need(4, "a 32-bit integer");
        var value = BinaryPrimitives.ReadUInt32LittleEndian(_data[_position..]);
        _position += 4;
        return value;
    }

    /// <summary>Reads 8 bytes, little-endian.</summary>
    public long ReadInt64()
    {
        Need(8, "a 64-bit integer");
        var value = BinaryPrimitives.ReadInt64LittleEndian(_data[_position..]);
        _position += 8;
        return value;
    }

    /// <summary>Reads a double.</summary>
    public double ReadDouble() => BitConverter.Int64BitsToDouble(ReadInt64());

    /// <summary>Reads a single.</summary>
    public float ReadSingle() => BitConverter.Int32BitsToSingle(ReadInt32());

    /// <summary>Reads an unsigned varint.</summary>
    public ulong ReadVarUInt64()
    {
        var position = _position;
        var data = _data;
        if ((uint)position < (uint)data.Length)
        {
            var first = data[position];
            if (first < 0x80)
            {
                _position = position + 1;
                return first;
            }

            if (Bmi2.X64.IsSupported && data.Length - position >= sizeof(ulong))
            {
                // 2 to 8 bytes at once: the last byte is the first without the continuation bit; the 7-bit
                // groups of the bytes up to it are gathered into one value (DataWriter's store, reversed).
                var word = BinaryPrimitives.ReadUInt64LittleEndian(data[position..]);
                var lasts = ~word & 0x8080_8080_8080_8080UL;
                if (lasts != 0)
                {
                    var length = (BitOperations.TrailingZeroCount(lasts) >> 3) + 1;
                    var bytes = length == sizeof(ulong) ? word : word & ((1UL << (length * 8)) - 1);
                    _position = position + length;
                    return Bmi2.X64.ParallelBitExtract(bytes, 0x7F7F_7F7F_7F7F_7F7FUL);
                }
            }
        }

        return ReadVarUInt64ByteByByte();
    }

    /// <summary><see cref="ReadVarUInt64"/> a byte at a time: near the end of the data, for varints of 9 or 10 bytes, and without BMI2.</summary>
    private ulong ReadVarUInt64ByteByByte()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = ReadByte();
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new SerializationException($"A varint at byte {_position} is longer than 10 bytes.");
    }

    /// <summary>Reads a zig-zag varint.</summary>
    public long ReadVarInt64()
    {
        var raw = ReadVarUInt64();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    /// <summary>Reads a zig-zag varint into 32 bits.</summary>
    public int ReadVarInt32() => checked((int)ReadVarInt64());

    /// <summary>Reads a string or null.</summary>
    public string? ReadString()
    {
        var length = ReadLength("a string");
        if (length < 0)
        {
            return null;
        }

        var value = Encoding.UTF8.GetString(_data.Slice(_position, length));
        _position += length;
        return value;
    }

    /// <summary>Reads a byte array or null.</summary>
    public byte[]? ReadBytes()
    {
        var length = ReadLength("a byte array");
        if (length < 0)
        {
            return null;
        }

        var value = _data.Slice(_position, length).ToArray();
        _position += length;
        return value;
    }

    /// <summary>Reads <paramref name="count"/> raw bytes.</summary>
    public ReadOnlySpan<byte> ReadRaw(int count)
    {
        Need(count, $"{count} bytes");
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    private int ReadLength(string what)
    {
        var prefix = ReadVarUInt64();
        if (prefix == 0)
        {
            return -1;
        }

        var length = prefix - 1;
        if (length > (ulong)Remaining)
        {
            throw new SerializationException($"{what} at byte {_position} claims {length} bytes but only {Remaining} remain: the data is truncated or corrupt.");
        }

        return (int)length;
    }

    private readonly void Need(int count, string what)
    {
        if (_position + count > _data.Length)
        {
            throw new SerializationException($"Expected {what} at byte {_position}, but the data ends at byte {_data.Length}: it is truncated or corrupt.");
        }
    }
}

/// <summary>Data could not be encoded or decoded.</summary>
public sealed class SerializationException(string message, Exception? inner = null) : Exception(message, inner);
