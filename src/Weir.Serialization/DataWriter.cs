using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Weir.Serialization;

/// <summary>
/// A growable little-endian binary writer: the encoding of state snapshots and of record batches
/// between silos. Integers that are usually small use LEB128 varints (signed ones zig-zag);
/// strings and byte arrays carry a varint length + 1, where 0 means null.
/// </summary>
public sealed class DataWriter
{
    private const int PaddedVarInt32Length = 5;
    private const int MaxVarInt64Length = 10;
    private readonly bool _pooled;
    private byte[] _buffer;
    private int _position;

    /// <summary>Creates a writer with an initial capacity.</summary>
    public DataWriter(int initialCapacity = 256) => _buffer = new byte[Math.Max(16, initialCapacity)];

    private DataWriter(byte[] buffer)
    {
        _buffer = buffer;
        _pooled = true;
    }

    /// <summary>
    /// A writer whose buffers are rented from the shared array pool, as it starts and as it grows;
    /// <see cref="ReturnBuffer"/> gives the last back. For large writes made again and again (state
    /// files), whose growing buffers would otherwise be new large objects every time.
    /// </summary>
    public static DataWriter Pooled(int initialCapacity) => new(ArrayPool<byte>.Shared.Rent(Math.Max(16, initialCapacity)));

    /// <summary>Bytes written.</summary>
    public int Length => _position;

    /// <summary>The bytes written so far (valid until the next write).</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _position);

    /// <summary>The bytes written so far (valid until the next write).</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _position);

    /// <summary>Forgets what was written, keeping the buffer.</summary>
    public void Reset() => _position = 0;

    /// <summary>A <see cref="Pooled"/> writer's buffer back to the pool: what was written is gone, and the writer is not to be used again.</summary>
    public void ReturnBuffer()
    {
        if (_pooled && _buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
            _position = 0;
        }
    }

    /// <summary>A copy of the bytes written.</summary>
    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Writes one byte.</summary>
    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_position++] = value;
    }

    /// <summary>Writes a boolean as one byte.</summary>
    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    /// <summary>Writes 4 bytes, little-endian.</summary>
    public void WriteInt32(int value)
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_position), value);
        _position += 4;
    }

    /// <summary>Writes 4 bytes, little-endian.</summary>
    public void WriteUInt32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_position), value);
        _position += 4;
    }

    /// <summary>Writes 8 bytes, little-endian.</summary>
    public void WriteInt64(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_position), value);
        _position += 8;
    }

    /// <summary>Writes an IEEE double, 8 bytes.</summary>
    public void WriteDouble(double value) => WriteInt64(BitConverter.DoubleToInt64Bits(value));

    /// <summary>Writes an IEEE single, 4 bytes.</summary>
    public void WriteSingle(float value) => WriteInt32(BitConverter.SingleToInt32Bits(value));

    /// <summary>Writes an unsigned LEB128 varint (1 to 10 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteVarUInt64(ulong value)
    {
        var position = _position;
        if (value < 0x80 && (uint)position < (uint)_buffer.Length)
        {
            _buffer[position] = (byte)value;
            _position = position + 1;
            return;
        }

        WriteLongVarUInt64(value);
    }

    /// <summary><see cref="WriteVarUInt64"/> of a value of more than one byte, or at the end of the buffer.</summary>
    private void WriteLongVarUInt64(ulong value)
    {
        Ensure(MaxVarInt64Length);
        var buffer = _buffer;
        var position = _position;
        if (Bmi2.X64.IsSupported && value < (1UL << 56))
        {
            // 1 to 8 bytes at once: the 7-bit groups spread one to a byte, every byte but the last
            // with the continuation bit, stored as one little-endian word (Ensure left room for 10).
            var length = (BitOperations.Log2(value) / 7) + 1;
            var groups = Bmi2.X64.ParallelBitDeposit(value, 0x7F7F_7F7F_7F7F_7F7FUL);
            var continuation = 0x0080_8080_8080_8080UL >> ((8 - length) * 8);
            Unsafe.WriteUnaligned(ref buffer[position], groups | continuation);
            _position = position + length;
            return;
        }

        while (value >= 0x80)
        {
            buffer[position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[position++] = (byte)value;
        _position = position;
    }

    /// <summary>Writes a zig-zag LEB128 varint: small magnitudes, positive or negative, take few bytes.</summary>
    public void WriteVarInt64(long value) => WriteVarUInt64((ulong)((value << 1) ^ (value >> 63)));

    /// <summary>Writes a zig-zag varint.</summary>
    public void WriteVarInt32(int value) => WriteVarInt64(value);

    /// <summary>Writes a UTF-8 string with its length; null is distinct from empty.</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteVarUInt64(0);
            return;
        }

        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max <= 256)
        {
            Span<byte> scratch = stackalloc byte[max];
            var count = Encoding.UTF8.GetBytes(value, scratch);
            WriteVarUInt64((ulong)count + 1);
            WriteRaw(scratch[..count]);
            return;
        }

        var length = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt64((ulong)length + 1);
        Ensure(length);
        _position += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position));
    }

    /// <summary>Writes a byte array with its length; null is distinct from empty.</summary>
    public void WriteBytes(byte[]? value)
    {
        if (value is null)
        {
            WriteVarUInt64(0);
            return;
        }

        WriteVarUInt64((ulong)value.Length + 1);
        WriteRaw(value);
    }

    /// <summary>Writes bytes as they are, without a length.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_position));
        _position += bytes.Length;
    }

    /// <summary>Overwrites 4 bytes at an earlier position (for lengths known only afterwards).</summary>
    public void PatchInt32(int position, int value) => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(position), value);

    /// <summary>
    /// Reserves room for a zig-zag varint known only afterwards (a count): 5 bytes, enough for any
    /// <see cref="int"/>; returns the position to give <see cref="PatchVarInt32"/>.
    /// </summary>
    public int ReserveVarInt32()
    {
        Ensure(PaddedVarInt32Length);
        var position = _position;
        _position += PaddedVarInt32Length;
        return position;
    }

    /// <summary>
    /// Writes <paramref name="value"/> into the room <see cref="ReserveVarInt32"/> reserved, as a
    /// varint padded to 5 bytes (continuation bits on the first four): what <see cref="WriteVarInt32"/>
    /// writes reads the same, so readers need not know.
    /// </summary>
    public void PatchVarInt32(int position, int value)
    {
        var raw = (uint)((value << 1) ^ (value >> 31));
        var span = _buffer.AsSpan(position, PaddedVarInt32Length);
        for (var i = 0; i < PaddedVarInt32Length - 1; i++)
        {
            span[i] = (byte)(raw | 0x80);
            raw >>= 7;
        }

        span[PaddedVarInt32Length - 1] = (byte)raw;
    }

    private void Ensure(int count)
    {
        if (_position + count <= _buffer.Length)
        {
            return;
        }

        var needed = (long)_position + count;
        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException($"A DataWriter holds at most {Array.MaxLength:N0} bytes; writing {count:N0} more after {_position:N0} would exceed that.");
        }

        var size = (int)Math.Min(Math.Max((long)_buffer.Length * 2, needed), Array.MaxLength);
        if (!_pooled)
        {
            Array.Resize(ref _buffer, size);
            return;
        }

        var grown = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _position).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }
}
