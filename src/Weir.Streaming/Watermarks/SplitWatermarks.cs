using Weir.Streaming.Elements;

namespace Weir.Streaming.Watermarks;

/// <summary>
/// Watermarks per source split (as Flink's new source API does): each split has its own
/// generator, and the source's watermark is the minimum over its active splits. So a split that
/// lags (after a restore, or because its partition is slow) holds time back instead of making
/// its records late, and an idle split (no record within the idleness timeout) stops holding it back.
///
/// Per record this only stamps the record and shows it to its split's generator: activity is
/// noted with a flag and turned into a time at the next periodic emit (Flink's IdlenessTimer
/// does the same), so a split goes idle between one and two intervals after its last record
/// within the timeout, and no record pays for reading the clock.
/// </summary>
internal sealed class SplitWatermarks<T>(WatermarkStrategy<T> strategy, TimeProvider clock)
{
    private readonly Dictionary<int, SplitClock> _splits = [];
    private long _emitted = long.MinValue;
    private bool _idle;
    private int _currentSplit;
    private SplitClock? _current;

    /// <summary>The split whose records are being emitted.</summary>
    public int CurrentSplit
    {
        get => _currentSplit;
        set
        {
            if (value != _currentSplit)
            {
                _currentSplit = value;
                _current = null;
            }
        }
    }

    /// <summary>Starts tracking the source's splits: a split that has emitted nothing yet holds the watermark back (until idle).</summary>
    public void Track(int splitCount)
    {
        for (var index = 0; index < splitCount; index++)
        {
            Split(index);
        }
    }

    /// <summary>Stamps a record of the current split and shows it to that split's generator.</summary>
    public long OnRecord(T record, long timestamp)
    {
        var stamped = strategy.TimestampAssigner is { } assign ? assign(record, timestamp) : timestamp;
        var split = _current ??= Split(_currentSplit);
        split.Generator.OnEvent(record, stamped, split);
        split.SawRecords = true;
        split.Idle = false;
        return stamped;
    }

    /// <summary>Asks every split for a watermark; returns the watermark or status to emit, if any changed.</summary>
    public (Watermark? Watermark, WatermarkStatus? Status) OnPeriodicEmit()
    {
        var now = clock.GetTimestamp();
        var min = long.MaxValue;
        var anyActive = false;
        foreach (var split in _splits.Values)
        {
            split.Generator.OnPeriodicEmit(split);
            if (split.SawRecords)
            {
                split.SawRecords = false;
                split.LastRecordAt = now;
            }
            else if (strategy.Idleness is { } idleness && clock.GetElapsedTime(split.LastRecordAt, now) >= idleness)
            {
                split.Idle = true;
            }

            if (!split.Idle)
            {
                anyActive = true;
                min = Math.Min(min, split.Watermark);
            }
        }

        if (!anyActive)
        {
            // Every split idle, or no split at all (more subtasks than partitions): idle.
            if (!_idle)
            {
                _idle = true;
                return (null, WatermarkStatus.Idle);
            }

            return (null, null);
        }

        WatermarkStatus? status = null;
        if (_idle)
        {
            _idle = false;
            status = WatermarkStatus.Active;
        }

        if (min > _emitted && min != long.MinValue)
        {
            _emitted = min;
            return (new Watermark(min), status);
        }

        return (null, status);
    }

    private SplitClock Split(int index)
    {
        if (!_splits.TryGetValue(index, out var split))
        {
            _splits[index] = split = new SplitClock(strategy.CreateGenerator(), clock.GetTimestamp());
        }

        return split;
    }

    private sealed class SplitClock(IWatermarkGenerator<T> generator, long createdAt) : IWatermarkOutput
    {
        public IWatermarkGenerator<T> Generator { get; } = generator;

        public long Watermark { get; private set; } = long.MinValue;

        /// <summary>When the split was last seen active: a periodic emit after records (or its creation).</summary>
        public long LastRecordAt { get; set; } = createdAt;

        /// <summary>Records arrived since the last periodic emit.</summary>
        public bool SawRecords { get; set; }

        public bool Idle { get; set; }

        public void EmitWatermark(long timestamp) => Watermark = Math.Max(Watermark, timestamp);
    }
}
