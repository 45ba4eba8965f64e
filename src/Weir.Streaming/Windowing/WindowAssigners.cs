namespace Weir.Streaming.Windowing;

/// <summary>Puts each record into windows (Flink's WindowAssigner).</summary>
public abstract class WindowAssigner
{
    private protected WindowAssigner()
    {
    }

    /// <summary>True if windows are in event time (fire on the watermark), false for processing time (fire on the clock).</summary>
    public abstract bool IsEventTime { get; }

    /// <summary>True if overlapping windows merge (sessions).</summary>
    public virtual bool IsMerging => false;

    /// <summary>The windows holding a record at <paramref name="timestamp"/>.</summary>
    public abstract IReadOnlyList<TimeWindow> AssignWindows(long timestamp);

    /// <summary>Adds the windows holding a record at <paramref name="timestamp"/> to <paramref name="windows"/> (the window operator's per-record path: no allocation).</summary>
    internal virtual void AssignWindows(long timestamp, List<TimeWindow> windows) => windows.AddRange(AssignWindows(timestamp));

    private protected static long Milliseconds(TimeSpan span, string what)
    {
        var ms = (long)span.TotalMilliseconds;
        return ms > 0 ? ms : throw new ArgumentOutOfRangeException(what, span, $"A window {what} must be at least 1 ms.");
    }
}

/// <summary>Fixed-size, non-overlapping windows in event time.</summary>
public sealed class TumblingEventTimeWindows : WindowAssigner
{
    private readonly long _size;
    private readonly long _offset;

    private TumblingEventTimeWindows(long size, long offset) => (_size, _offset) = (size, offset);

    /// <summary>Windows of <paramref name="size"/>, aligned to the epoch plus <paramref name="offset"/>.</summary>
    public static TumblingEventTimeWindows Of(TimeSpan size, TimeSpan offset = default) => new(Milliseconds(size, "size"), (long)offset.TotalMilliseconds);

    /// <inheritdoc />
    public override bool IsEventTime => true;

    /// <inheritdoc />
    public override IReadOnlyList<TimeWindow> AssignWindows(long timestamp)
    {
        var start = TimeWindow.StartOf(timestamp, _offset, _size);
        return [new TimeWindow(start, start + _size)];
    }

    internal override void AssignWindows(long timestamp, List<TimeWindow> windows)
    {
        var start = TimeWindow.StartOf(timestamp, _offset, _size);
        windows.Add(new TimeWindow(start, start + _size));
    }
}

/// <summary>Fixed-size windows every <c>slide</c> in event time; a record belongs to size/slide windows.</summary>
public sealed class SlidingEventTimeWindows : WindowAssigner
{
    private readonly long _size;
    private readonly long _slide;
    private readonly long _offset;

    private SlidingEventTimeWindows(long size, long slide, long offset) => (_size, _slide, _offset) = (size, slide, offset);

    internal long Size => _size;

    internal long Slide => _slide;

    internal long Offset => _offset;

    /// <summary>Windows of <paramref name="size"/> starting every <paramref name="slide"/>.</summary>
    public static SlidingEventTimeWindows Of(TimeSpan size, TimeSpan slide, TimeSpan offset = default) =>
        new(Milliseconds(size, "size"), Milliseconds(slide, "slide"), (long)offset.TotalMilliseconds);

    /// <inheritdoc />
    public override bool IsEventTime => true;

    /// <inheritdoc />
    public override IReadOnlyList<TimeWindow> AssignWindows(long timestamp)
    {
        var windows = new List<TimeWindow>((int)Math.Ceiling((double)_size / _slide));
        Sliding(timestamp, _size, _slide, _offset, windows);
        return windows;
    }

    internal override void AssignWindows(long timestamp, List<TimeWindow> windows) => Sliding(timestamp, _size, _slide, _offset, windows);

    internal static void Sliding(long timestamp, long size, long slide, long offset, List<TimeWindow> windows)
    {
        for (var start = TimeWindow.StartOf(timestamp, offset, slide); start > timestamp - size; start -= slide)
        {
            windows.Add(new TimeWindow(start, start + size));
        }
    }
}

/// <summary>Session windows in event time: a key's records less than <c>gap</c> apart share a window.</summary>
public sealed class EventTimeSessionWindows : WindowAssigner
{
    private readonly long _gap;

    private EventTimeSessionWindows(long gap) => _gap = gap;

    /// <summary>Sessions closed by <paramref name="gap"/> of inactivity.</summary>
    public static EventTimeSessionWindows WithGap(TimeSpan gap) => new(Milliseconds(gap, "gap"));

    /// <inheritdoc />
    public override bool IsEventTime => true;

    /// <inheritdoc />
    public override bool IsMerging => true;

    /// <inheritdoc />
    public override IReadOnlyList<TimeWindow> AssignWindows(long timestamp) => [new TimeWindow(timestamp, timestamp + _gap)];
}

/// <summary>Fixed-size, non-overlapping windows in processing time.</summary>
public sealed class TumblingProcessingTimeWindows : WindowAssigner
{
    private readonly long _size;

    private TumblingProcessingTimeWindows(long size) => _size = size;

    /// <summary>Windows of <paramref name="size"/> of wall-clock time.</summary>
    public static TumblingProcessingTimeWindows Of(TimeSpan size) => new(Milliseconds(size, "size"));

    /// <inheritdoc />
    public override bool IsEventTime => false;

    /// <inheritdoc />
    public override IReadOnlyList<TimeWindow> AssignWindows(long timestamp)
    {
        var start = TimeWindow.StartOf(timestamp, 0, _size);
        return [new TimeWindow(start, start + _size)];
    }

    internal override void AssignWindows(long timestamp, List<TimeWindow> windows)
    {
        var start = TimeWindow.StartOf(timestamp, 0, _size);
        windows.Add(new TimeWindow(start, start + _size));
    }
}

/// <summary>Sliding windows in processing time.</summary>
public sealed class SlidingProcessingTimeWindows : WindowAssigner
{
    private readonly long _size;
    private readonly long _slide;

    private SlidingProcessingTimeWindows(long size, long slide) => (_size, _slide) = (size, slide);

    /// <summary>Windows of <paramref name="size"/> of wall-clock time, starting every <paramref name="slide"/>.</summary>
    public static SlidingProcessingTimeWindows Of(TimeSpan size, TimeSpan slide) => new(Milliseconds(size, "size"), Milliseconds(slide, "slide"));

    /// <inheritdoc />
    public override bool IsEventTime => false;

    /// <inheritdoc />
    public override IReadOnlyList<TimeWindow> AssignWindows(long timestamp)
    {
        var windows = new List<TimeWindow>((int)Math.Ceiling((double)_size / _slide));
        SlidingEventTimeWindows.Sliding(timestamp, _size, _slide, 0, windows);
        return windows;
    }

    internal override void AssignWindows(long timestamp, List<TimeWindow> windows) => SlidingEventTimeWindows.Sliding(timestamp, _size, _slide, 0, windows);
}
