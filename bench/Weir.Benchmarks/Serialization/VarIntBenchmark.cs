using BenchmarkDotNet.Attributes;
using Weir.Serialization;

namespace Weir.Benchmarks.Serialization;

/// <summary>
/// Zig-zag varints as state snapshots write them (keys, window bounds, counts), per value:
/// <see cref="DataWriter"/> against <see cref="ByteAtATime"/>, the byte-at-a-time loop
/// <c>DataWriter</c> had before it stored 2-8 byte varints as one word, in the same run; and read
/// back, <see cref="DataReader"/> (2-8 byte varints taken from one word) against the byte-at-a-time
/// loop it had before (<see cref="ReadByteAtATime"/>).
/// </summary>
[MemoryDiagnoser]
public class VarIntBenchmark
{
    private const int Values = 4_096;
    private readonly DataWriter _writer = new(Values * 10);
    private readonly ByteAtATime _reference = new(Values * 10);
    private long[] _values = [];
    private byte[] _encoded = [];

    /// <summary>small: counts under 64 (1 byte); keys: ids under 2^40 (6 bytes); times: epoch milliseconds (6 bytes); mixed: a q5 pane map's mix.</summary>
    [Params("small", "keys", "times", "mixed")]
    public string Kind { get; set; } = "mixed";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        long Small() => random.Next(64);
        long Key() => random.NextInt64(1L << 40);
        long Time() => 1_700_000_000_000L + random.NextInt64(100_000_000);
        _values = [.. Enumerable.Range(0, Values).Select(i => Kind switch
        {
            "small" => Small(),
            "keys" => Key(),
            "times" => Time(),
            _ => (i % 4) switch { 0 => Key(), 1 => Time(), 2 => 2_000, _ => Small() },
        })];
        _writer.Reset();
        foreach (var value in _values)
        {
            _writer.WriteVarInt64(value);
        }

        _encoded = _writer.ToArray();
    }

    [Benchmark(OperationsPerInvoke = Values)]
    public long ByteAtATimeRead()
    {
        var sum = 0L;
        var position = 0;
        for (var i = 0; i < Values; i++)
        {
            sum += ReadByteAtATime(_encoded, ref position);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Values)]
    public long DataReaderVarInt()
    {
        var sum = 0L;
        var reader = new DataReader(_encoded);
        for (var i = 0; i < Values; i++)
        {
            sum += reader.ReadVarInt64();
        }

        return sum;
    }

    /// <summary>The loop <c>DataReader</c> used before: a byte at a time, each checked against the end.</summary>
    private static long ReadByteAtATime(byte[] data, ref int position)
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (position >= data.Length)
            {
                throw new InvalidOperationException("cut short");
            }

            var b = data[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (long)(result >> 1) ^ -(long)(result & 1);
            }
        }

        throw new InvalidOperationException("longer than 10 bytes");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Values)]
    public int ByteAtATimeLoop()
    {
        _reference.Reset();
        foreach (var value in _values)
        {
            _reference.WriteVarInt64(value);
        }

        return _reference.Length;
    }

    [Benchmark(OperationsPerInvoke = Values)]
    public int DataWriterVarInt()
    {
        _writer.Reset();
        foreach (var value in _values)
        {
            _writer.WriteVarInt64(value);
        }

        return _writer.Length;
    }

    /// <summary>The loop DataWriter used before (same fields, same capacity check).</summary>
    private sealed class ByteAtATime(int capacity)
    {
        private byte[] _buffer = new byte[capacity];
        private int _position;

        public int Length => _position;

        public void Reset() => _position = 0;

        public void WriteVarInt64(long value) => WriteVarUInt64((ulong)((value << 1) ^ (value >> 63)));

        private void WriteVarUInt64(ulong value)
        {
            if (_position + 10 > _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            while (value >= 0x80)
            {
                _buffer[_position++] = (byte)(value | 0x80);
                value >>= 7;
            }

            _buffer[_position++] = (byte)value;
        }
    }
}
