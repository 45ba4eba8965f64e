using Weir.Streaming.Elements;
using Weir.Streaming.Operators;
using Weir.Streaming.State;
using Weir.Streaming.Timers;

namespace Weir.Streaming.Windowing;

/// <summary>
/// Windows on a keyed stream (Flink's WindowOperator with its default triggers).
///
/// State: per key, a map from window to its contents (keyed state, so checkpointed and rescaled
/// with the key). Each record goes into the windows the assigner gives it; a merging assigner
/// (sessions) folds every window the new one touches into one. A window fires at its max
/// timestamp: on the watermark (event time) or the clock (processing time), through a keyed
/// timer; with allowed lateness its contents stay until max timestamp + lateness, and a late but
/// allowed record fires the window again at once. A record whose windows are all past
/// max timestamp + lateness is late: it goes to the late side output, if any, else it is dropped.
/// Results carry the window's max timestamp.
/// </summary>
internal sealed class WindowOperator<TKey, TIn, TAcc, TOut>(
    Func<TIn, TKey> keySelector,
    WindowAssigner assigner,
    WindowContents<TKey, TIn, TAcc, TOut> contents,
    long allowedLateness,
    OutputTag<TIn>? lateTag) : KeyedOneInputOperator<TKey, TIn, TOut>(keySelector)
    where TKey : notnull
{
    private readonly WindowContext _windowContext = new();
    private StateTable<TKey, Dictionary<TimeWindow, TAcc>>? _windows;
    private TimestampedCollector<TOut>? _collector;
    private IOutput<TIn>? _lateOutput;

    /// <summary>Records dropped as late (no side output).</summary>
    public long DroppedLate { get; private set; }

    public override void Open()
    {
        _windows = Backend.Table<Dictionary<TimeWindow, TAcc>>("window-contents", CopyWindows);
        _collector = new TimestampedCollector<TOut>(Output);
        _lateOutput = lateTag is null ? null : SideOutput(lateTag);
        _ = Timers;
    }

    protected override void ProcessKeyed(TIn record, long timestamp)
    {
        long time;
        if (assigner.IsEventTime)
        {
            time = timestamp != RecordBatch.NoTimestamp
                ? timestamp
                : throw new InvalidOperationException($"Operator '{Context.Name}' uses event-time windows, but a record has no timestamp: assign timestamps with AssignTimestampsAndWatermarks(...) upstream.");
        }
        else
        {
            time = Timers.CurrentProcessingTime;
        }

        var index = Backend.CurrentKeyGroupIndex;
        var key = Backend.CurrentKey;

        // Contents are changed in place, so take the key group's map for writing first: a snapshot
        // that still reads it gets its own copy (copy-on-write), never records after its barrier.
        var windows = _windows!.TryGet(index, key, out _) ? _windows.Writable(index)[key] : null;
        var changed = false;
        var accepted = false;
        foreach (var assigned in assigner.AssignWindows(time))
        {
            var window = assigned;
            if (assigner.IsMerging && windows is not null)
            {
                window = MergeInto(windows, window);
            }

            if (IsLate(window))
            {
                continue;
            }

            accepted = true;
            windows ??= [];
            var exists = windows.TryGetValue(window, out var acc);
            windows[window] = contents.Add(acc, exists, record);
            changed = true;
            RegisterTimers(window);
            if (assigner.IsEventTime && window.MaxTimestamp <= Timers.CurrentWatermark)
            {
                // Late but within allowed lateness: fire again with the new record.
                Fire(key, window, windows[window]);
            }
        }

        if (changed)
        {
            _windows.Put(index, key, windows!);
        }

        if (!accepted)
        {
            if (_lateOutput is not null)
            {
                _lateOutput.Collect(record, timestamp);
            }
            else
            {
                DroppedLate++;
            }
        }
    }

    protected override void OnTimer(long timestamp, TimeDomain domain)
    {
        var index = Backend.CurrentKeyGroupIndex;
        var key = Backend.CurrentKey;
        if (!_windows!.TryGet(index, key, out _))
        {
            return;
        }

        var windows = _windows.Writable(index)[key];
        var changed = false;
        foreach (var (window, acc) in windows.OrderBy(w => w.Key.Start).ToArray())
        {
            if (window.MaxTimestamp == timestamp)
            {
                Fire(key, window, acc);
            }

            var cleanupAt = domain == TimeDomain.EventTime ? window.MaxTimestamp + allowedLateness : window.MaxTimestamp;
            if (cleanupAt == timestamp)
            {
                windows.Remove(window);
                changed = true;
            }
        }

        if (!changed)
        {
            return;
        }

        if (windows.Count == 0)
        {
            _windows.Remove(index, key);
        }
        else
        {
            _windows.Put(index, key, windows);
        }
    }

    private bool IsLate(TimeWindow window) =>
        assigner.IsEventTime && window.MaxTimestamp + allowedLateness <= Timers.CurrentWatermark;

    private void RegisterTimers(TimeWindow window)
    {
        if (assigner.IsEventTime)
        {
            // A window already past its end fires at once (below), not on a timer.
            if (window.MaxTimestamp > Timers.CurrentWatermark)
            {
                Timers.RegisterEventTimeTimer(window.MaxTimestamp);
            }

            if (allowedLateness > 0)
            {
                Timers.RegisterEventTimeTimer(window.MaxTimestamp + allowedLateness);
            }
        }
        else
        {
            Timers.RegisterProcessingTimeTimer(window.MaxTimestamp);
        }
    }

    /// <summary>Folds every window of the key that touches <paramref name="window"/> into one; returns it (its contents are merged, old timers deleted).</summary>
    private TimeWindow MergeInto(Dictionary<TimeWindow, TAcc> windows, TimeWindow window)
    {
        var touching = windows.Keys.Where(w => w.Intersects(window)).ToArray();
        if (touching.Length == 0)
        {
            return window;
        }

        var merged = touching.Aggregate(window, (cover, w) => cover.Cover(w));
        TAcc? acc = default;
        var has = false;
        foreach (var old in touching.OrderBy(w => w.Start))
        {
            var contentsOfOld = windows[old];
            acc = has ? contents.Merge(acc!, contentsOfOld) : contentsOfOld;
            has = true;
            windows.Remove(old);
            if (old != merged)
            {
                DeleteTimers(old);
            }
        }

        windows[merged] = acc!;
        return merged;
    }

    private void DeleteTimers(TimeWindow window)
    {
        if (assigner.IsEventTime)
        {
            Timers.DeleteEventTimeTimer(window.MaxTimestamp);
            if (allowedLateness > 0)
            {
                Timers.DeleteEventTimeTimer(window.MaxTimestamp + allowedLateness);
            }
        }
        else
        {
            Timers.DeleteProcessingTimeTimer(window.MaxTimestamp);
        }
    }

    private void Fire(TKey key, TimeWindow window, TAcc acc)
    {
        _windowContext.Window = window;
        _windowContext.CurrentWatermark = Timers.CurrentWatermark;
        _windowContext.CurrentProcessingTime = Timers.CurrentProcessingTime;
        _collector!.Timestamp = window.MaxTimestamp;
        contents.Emit(key, _windowContext, acc, _collector);
    }

    private Dictionary<TimeWindow, TAcc> CopyWindows(Dictionary<TimeWindow, TAcc> windows)
    {
        var copy = new Dictionary<TimeWindow, TAcc>(windows.Count);
        foreach (var (window, acc) in windows)
        {
            copy[window] = contents.Copy(acc);
        }

        return copy;
    }
}
