using Weir.Serialization;
using Weir.Streaming.State;
using Weir.Streaming.Timers;

namespace Weir.Streaming.Windowing;

/// <summary>
/// The windows of one key and their contents: a small map kept in one array of (window,
/// accumulator) entries sorted by window (start, then end). A key has few windows at a time (the
/// open tumbling windows, size/slide sliding ones, the sessions not yet merged), so a linear scan is
/// faster than hashing; one array keeps a key's windows in one or two cache lines (reading a key's
/// windows, as records, timers and checkpoints do, costs the map and one array), and the copy a
/// snapshot's copy-on-write makes is one array copy instead of a dictionary rebuild.
/// Serialized as <c>Dictionary&lt;TimeWindow, TAcc&gt;</c> was (<see cref="WindowMapSerializer{TAcc}"/>),
/// so checkpoints written with either restore into this.
/// </summary>
internal sealed class WindowMap<TAcc> : IPrefetchable
{
    private Entry[] _entries;
    private int _count;

    public WindowMap(int capacity = 1) => _entries = new Entry[Math.Max(1, capacity)];

    public int Count => _count;

    /// <summary>
    /// The key's event-time timers, when the operator keeps them here (<see cref="PanedWindowOperator{TKey, TIn, TAcc, TOut}"/>,
    /// written by <see cref="TimedWindowMapSerializer{TAcc}"/>); null if none.
    /// </summary>
    public TimerTimestamps? Timers { get; set; }

    /// <inheritdoc />
    public void PrefetchContents()
    {
        Prefetch.Array(_entries);
        Timers?.PrefetchContents();
    }

    public TimeWindow WindowAt(int index) => _entries[index].Window;

    public TAcc AccumulatorAt(int index) => _entries[index].Accumulator;

    public int IndexOf(TimeWindow window)
    {
        var entries = _entries;
        for (var i = 0; i < _count; i++)
        {
            if (entries[i].Window == window)
            {
                return i;
            }
        }

        return -1;
    }

    public bool TryGetValue(TimeWindow window, out TAcc accumulator)
    {
        var index = IndexOf(window);
        accumulator = index >= 0 ? _entries[index].Accumulator : default!;
        return index >= 0;
    }

    public TAcc this[TimeWindow window]
    {
        get => TryGetValue(window, out var accumulator) ? accumulator : throw new KeyNotFoundException($"No window {window}.");
        set => Set(window, value);
    }

    public void SetAt(int index, TAcc accumulator) => _entries[index].Accumulator = accumulator;

    /// <summary>Adds or replaces the contents of <paramref name="window"/>.</summary>
    public void Set(TimeWindow window, TAcc accumulator)
    {
        var position = 0;
        for (; position < _count; position++)
        {
            var existing = _entries[position].Window;
            if (existing == window)
            {
                _entries[position].Accumulator = accumulator;
                return;
            }

            if (existing.Start > window.Start || (existing.Start == window.Start && existing.End > window.End))
            {
                break;
            }
        }

        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _count * 2);
        }

        Array.Copy(_entries, position, _entries, position + 1, _count - position);
        _entries[position] = new Entry(window, accumulator);
        _count++;
    }

    public bool Remove(TimeWindow window)
    {
        var index = IndexOf(window);
        if (index < 0)
        {
            return false;
        }

        RemoveAt(index);
        return true;
    }

    public void RemoveAt(int index)
    {
        _count--;
        Array.Copy(_entries, index + 1, _entries, index, _count - index);
        _entries[_count] = default;
    }

    /// <summary>A copy with its own array; accumulators copied by <paramref name="copyAccumulator"/> (null: shared, for immutable ones).</summary>
    public WindowMap<TAcc> Copy(Func<TAcc, TAcc>? copyAccumulator)
    {
        var copy = new WindowMap<TAcc>(_count);
        Array.Copy(_entries, copy._entries, _count);
        if (copyAccumulator is not null)
        {
            for (var i = 0; i < _count; i++)
            {
                copy._entries[i].Accumulator = copyAccumulator(_entries[i].Accumulator);
            }
        }

        copy._count = _count;
        copy.Timers = Timers;
        return copy;
    }

    private struct Entry(TimeWindow window, TAcc accumulator)
    {
        public TimeWindow Window = window;
        public TAcc Accumulator = accumulator;
    }
}

/// <summary>Encodes a <see cref="WindowMap{TAcc}"/> byte for byte as the dictionary serializer encodes a <c>Dictionary&lt;TimeWindow, TAcc&gt;</c>: count + 1, then window and accumulator pairs.</summary>
internal sealed class WindowMapSerializer<TAcc> : ISerializer<WindowMap<TAcc>>
{
    public static readonly WindowMapSerializer<TAcc> Instance = new();

    private readonly ISerializer<TimeWindow> _window = Serializers.Get<TimeWindow>();
    private readonly ISerializer<TAcc> _accumulator = Serializers.Get<TAcc>();

    private WindowMapSerializer()
    {
    }

    /// <summary>Registers the serializer (idempotent); call before the first state table of this type.</summary>
    public static void Register() => Serializers.Register(Instance);

    public void Write(DataWriter writer, WindowMap<TAcc> value)
    {
        writer.WriteVarUInt64((ulong)value.Count + 1);
        for (var i = 0; i < value.Count; i++)
        {
            _window.Write(writer, value.WindowAt(i));
            _accumulator.Write(writer, value.AccumulatorAt(i));
        }
    }

    public WindowMap<TAcc> Read(ref DataReader reader)
    {
        var prefix = reader.ReadVarUInt64();
        var count = prefix == 0 ? 0 : checked((int)(prefix - 1));
        var map = new WindowMap<TAcc>(count);
        for (var i = 0; i < count; i++)
        {
            var window = _window.Read(ref reader);
            map.Set(window, _accumulator.Read(ref reader));
        }

        return map;
    }
}

/// <summary>
/// Encodes a <see cref="WindowMap{TAcc}"/> with its <see cref="WindowMap{TAcc}.Timers"/>, for a
/// table of panes: the pane count, each pane's start (the first one's whole, then each as the gap
/// after the previous pane's end, 0 for adjacent panes) with its size and accumulator, then the
/// timer count and each timer (the first as its distance from the first pane's end, then each from
/// the one before). Panes and timers are a few seconds apart, so a key's panes and timer take a
/// byte or two each after the first start instead of six.
/// </summary>
internal sealed class TimedWindowMapSerializer<TAcc> : ISerializer<WindowMap<TAcc>>
{
    public static readonly TimedWindowMapSerializer<TAcc> Instance = new();

    private readonly ISerializer<TAcc> _accumulator = Serializers.Get<TAcc>();

    private TimedWindowMapSerializer()
    {
    }

    public void Write(DataWriter writer, WindowMap<TAcc> value)
    {
        var count = value.Count;
        writer.WriteVarUInt64((ulong)count);
        var previousEnd = 0L;
        for (var i = 0; i < count; i++)
        {
            var window = value.WindowAt(i);
            writer.WriteVarInt64(window.Start - previousEnd);
            writer.WriteVarInt64(window.End - window.Start);
            _accumulator.Write(writer, value.AccumulatorAt(i));
            previousEnd = window.End;
        }

        if (value.Timers is not { } timers)
        {
            writer.WriteVarUInt64(0);
            return;
        }

        writer.WriteVarUInt64((ulong)timers.Count);
        var previous = count > 0 ? value.WindowAt(0).End : 0L;
        for (var i = 0; i < timers.Count; i++)
        {
            writer.WriteVarInt64(timers[i] - previous);
            previous = timers[i];
        }
    }

    public WindowMap<TAcc> Read(ref DataReader reader)
    {
        var count = Count(ref reader, "panes");
        var map = new WindowMap<TAcc>(count);
        var previousEnd = 0L;
        for (var i = 0; i < count; i++)
        {
            var start = previousEnd + reader.ReadVarInt64();
            var window = new TimeWindow(start, start + reader.ReadVarInt64());
            map.Set(window, _accumulator.Read(ref reader));
            previousEnd = window.End;
        }

        var timerCount = Count(ref reader, "timers");
        var previous = count > 0 ? map.WindowAt(0).End : 0L;
        if (timerCount <= 1)
        {
            map.Timers = timerCount == 0 ? null : TimerTimestamps.Of(previous + reader.ReadVarInt64());
            return map;
        }

        var timers = new long[timerCount];
        for (var i = 0; i < timers.Length; i++)
        {
            timers[i] = previous + reader.ReadVarInt64();
            previous = timers[i];
        }

        map.Timers = TimerTimestampsSerializer.Decoded(timers);
        return map;
    }

    private static int Count(ref DataReader reader, string what)
    {
        var count = reader.ReadVarUInt64();
        return count <= (ulong)reader.Remaining
            ? (int)count
            : throw new SerializationException($"a key's window map says it holds {count} {what}, more than the {reader.Remaining} bytes left");
    }
}
