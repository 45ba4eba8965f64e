namespace Weir.Streaming.Windowing;

/// <summary>A window of event or processing time, <c>[Start, End)</c> in milliseconds.</summary>
public readonly record struct TimeWindow(long Start, long End)
{
    /// <summary>The last timestamp in the window: results of the window carry it.</summary>
    public long MaxTimestamp => End - 1;

    /// <summary>True if the windows overlap or touch (sessions merge then).</summary>
    public bool Intersects(TimeWindow other) => Start <= other.End && End >= other.Start;

    /// <summary>The smallest window holding both.</summary>
    public TimeWindow Cover(TimeWindow other) => new(Math.Min(Start, other.Start), Math.Max(End, other.End));

    /// <summary>The start of the window of size <paramref name="size"/> (with <paramref name="offset"/>) holding <paramref name="timestamp"/>.</summary>
    public static long StartOf(long timestamp, long offset, long size)
    {
        var remainder = (timestamp - offset) % size;
        return remainder < 0 ? timestamp - (remainder + size) : timestamp - remainder;
    }

    /// <inheritdoc />
    public override string ToString() => $"[{Start}, {End})";
}
