using Weir.Serialization;

namespace Weir.Streaming.Windowing;

/// <summary>
/// The windows of one key and their contents: a small map kept in two arrays sorted by window
/// (start, then end). A key has few windows at a time (the open tumbling windows, size/slide
/// sliding ones, the sessions not yet merged), so a linear scan is faster than hashing, and the
/// copy a snapshot's copy-on-write makes is two array copies instead of a dictionary rebuild.
/// Serialized as <c>Dictionary&lt;TimeWindow, TAcc&gt;</c> was (<see cref="WindowMapSerializer{TAcc}"/>),
/// so checkpoints written with either restore into this.
/// </summary>
internal sealed class WindowMap<TAcc>
{
    private TimeWindow[] _windows;
    private TAcc[] _accumulators;
    private int _count;

    public WindowMap(int capacity = 1)
    {
        _windows = new TimeWindow[Math.Max(1, capacity)];
        _accumulators = new TAcc[_windows.Length];
    }

    public int Count => _count;

    public TimeWindow WindowAt(int index) => _windows[index];

    public TAcc AccumulatorAt(int index) => _accumulators[index];

    public int IndexOf(TimeWindow window)
    {
        for (var i = 0; i < _count; i++)
        {
            if (_windows[i] == window)
            {
                return i;
            }
        }

        return -1;
    }

    public bool TryGetValue(TimeWindow window, out TAcc accumulator)
    {
        var index = IndexOf(window);
        accumulator = index >= 0 ? _accumulators[index] : default!;
        return index >= 0;
    }

    public TAcc this[TimeWindow window]
    {
        get => TryGetValue(window, out var accumulator) ? accumulator : throw new KeyNotFoundException($"No window {window}.");
        set => Set(window, value);
    }

    public void SetAt(int index, TAcc accumulator) => _accumulators[index] = accumulator;

    /// <summary>Adds or replaces the contents of <paramref name="window"/>.</summary>
    public void Set(TimeWindow window, TAcc accumulator)
    {
        var position = 0;
        for (; position < _count; position++)
        {
            var existing = _windows[position];
            if (existing == window)
            {
                _accumulators[position] = accumulator;
                return;
            }

            if (existing.Start > window.Start || (existing.Start == window.Start && existing.End > window.End))
            {
                break;
            }
        }

        if (_count == _windows.Length)
        {
            Array.Resize(ref _windows, _count * 2);
            Array.Resize(ref _accumulators, _count * 2);
        }

        Array.Copy(_windows, position, _windows, position + 1, _count - position);
        Array.Copy(_accumulators, position, _accumulators, position + 1, _count - position);
        _windows[position] = window;
        _accumulators[position] = accumulator;
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
        Array.Copy(_windows, index + 1, _windows, index, _count - index);
        Array.Copy(_accumulators, index + 1, _accumulators, index, _count - index);
        _accumulators[_count] = default!;
    }

    /// <summary>A copy with its own arrays; accumulators copied by <paramref name="copyAccumulator"/> (null: shared, for immutable ones).</summary>
    public WindowMap<TAcc> Copy(Func<TAcc, TAcc>? copyAccumulator)
    {
        var copy = new WindowMap<TAcc>(_count);
        Array.Copy(_windows, copy._windows, _count);
        if (copyAccumulator is null)
        {
            Array.Copy(_accumulators, copy._accumulators, _count);
        }
        else
        {
            for (var i = 0; i < _count; i++)
            {
                copy._accumulators[i] = copyAccumulator(_accumulators[i]);
            }
        }

        copy._count = _count;
        return copy;
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
