using Weir.Serialization;
using Weir.Streaming.State;

namespace Weir.Streaming.Timers;

/// <summary>
/// The timers of one key in one time domain: distinct timestamps in ascending order, never none
/// (a key without timers has no entry). Immutable, so snapshots may read it while the task goes on.
/// Most keys have one timer at a time (a window's end, an auction's expiry), and that one is kept
/// inline, with no array: registering it allocates nothing, a snapshot reads it without following
/// a reference, and the heap holds one object less per key. Two or more are kept in an array, which
/// a snapshot asks for ahead (<see cref="IPrefetchable"/>).
/// </summary>
internal readonly struct TimerTimestamps : IPrefetchable
{
    private readonly long _single;
    private readonly long[]? _many;

    private TimerTimestamps(long single, long[]? many)
    {
        _single = single;
        _many = many;
    }

    /// <summary>How many timestamps (at least one).</summary>
    public int Count => _many?.Length ?? 1;

    /// <summary>The timestamp at <paramref name="index"/> (ascending).</summary>
    public long this[int index] => _many is { } many ? many[index] : index == 0 ? _single : throw new ArgumentOutOfRangeException(nameof(index));

    /// <inheritdoc />
    public void PrefetchContents()
    {
        if (_many is { } many)
        {
            Prefetch.Array(many);
        }
    }

    /// <summary>One timer.</summary>
    public static TimerTimestamps Of(long timestamp) => new(timestamp, null);

    /// <summary>Timestamps already distinct and ascending, at least one (the array is kept, not copied).</summary>
    public static TimerTimestamps OfSorted(long[] timestamps) => timestamps.Length switch
    {
        0 => throw new ArgumentException("A key's timers are never none.", nameof(timestamps)),
        1 => new(timestamps[0], null),
        _ => new(0, timestamps),
    };

    /// <summary>As <see cref="Array.BinarySearch(Array, object)"/>: the index of <paramref name="timestamp"/>, or the complement of where it would go.</summary>
    public int IndexOf(long timestamp) =>
        _many is { } many ? Array.BinarySearch(many, timestamp)
        : timestamp == _single ? 0
        : timestamp < _single ? ~0 : ~1;

    /// <summary>These timestamps with <paramref name="timestamp"/> at <paramref name="position"/> (from <see cref="IndexOf"/>'s complement).</summary>
    public TimerTimestamps Insert(int position, long timestamp)
    {
        if (_many is not { } many)
        {
            return new(0, position == 0 ? [timestamp, _single] : [_single, timestamp]);
        }

        var updated = new long[many.Length + 1];
        Array.Copy(many, updated, position);
        updated[position] = timestamp;
        Array.Copy(many, position, updated, position + 1, many.Length - position);
        return new(0, updated);
    }

    /// <summary>These timestamps without the one at <paramref name="position"/>; there must be another.</summary>
    public TimerTimestamps RemoveAt(int position)
    {
        var many = _many ?? throw new InvalidOperationException("A key's last timer leaves by removing its entry.");
        if (many.Length == 2)
        {
            return Of(many[1 - position]);
        }

        var updated = new long[many.Length - 1];
        Array.Copy(many, updated, position);
        Array.Copy(many, position + 1, updated, position, updated.Length - position);
        return new(0, updated);
    }
}

/// <summary>
/// Encodes <see cref="TimerTimestamps"/> byte for byte as the array serializer encodes a <c>long[]</c>
/// (count + 1, then each timestamp), which timers were before: checkpoints of either restore into this.
/// </summary>
internal sealed class TimerTimestampsSerializer : ISerializer<TimerTimestamps>
{
    public static readonly TimerTimestampsSerializer Instance = new();

    private TimerTimestampsSerializer()
    {
    }

    /// <summary>Registers the serializer (idempotent); call before the first timer table.</summary>
    public static void Register() => Serializers.Register(Instance);

    public void Write(DataWriter writer, TimerTimestamps value)
    {
        var count = value.Count;
        writer.WriteVarUInt64((ulong)count + 1);
        for (var i = 0; i < count; i++)
        {
            writer.WriteVarInt64(value[i]);
        }
    }

    public TimerTimestamps Read(ref DataReader reader)
    {
        var prefix = reader.ReadVarUInt64();
        if (prefix < 2)
        {
            throw new SerializationException($"a key's timer list holds {(prefix == 0 ? "nothing (null)" : "no timestamps")}; it holds one or more");
        }

        if (prefix == 2)
        {
            return TimerTimestamps.Of(reader.ReadVarInt64());
        }

        var count = prefix - 1;
        if (count > (ulong)reader.Remaining)
        {
            throw new SerializationException($"a key's timer list says it holds {count} timestamps, more than the {reader.Remaining} bytes left");
        }

        var timestamps = new long[count];
        for (var i = 0; i < timestamps.Length; i++)
        {
            timestamps[i] = reader.ReadVarInt64();
        }

        return Decoded(timestamps);
    }

    /// <summary>
    /// Timestamps just decoded (from this format or from a value that holds its timers), at least two,
    /// checked as <see cref="TimerTimestamps.OfSorted"/> takes them: a key's timers are searched by
    /// bisection, so a corrupt list that is not ascending would lose and repeat timers, not fail.
    /// </summary>
    /// <exception cref="SerializationException">They are not distinct and ascending.</exception>
    public static TimerTimestamps Decoded(long[] timestamps)
    {
        for (var i = 1; i < timestamps.Length; i++)
        {
            if (timestamps[i] <= timestamps[i - 1])
            {
                throw new SerializationException($"a key's timers are not in ascending order ({timestamps[i]} after {timestamps[i - 1]}); they are distinct and ascending");
            }
        }

        return TimerTimestamps.OfSorted(timestamps);
    }
}
