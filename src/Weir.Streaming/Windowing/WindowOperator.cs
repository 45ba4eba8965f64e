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
    OutputTag<TIn>? lateTag) : WindowOperatorBase<TKey, TIn, TAcc, TOut>(keySelector, contents, lateTag)
    where TKey : notnull
{
    private readonly List<TimeWindow> _assigned = new(8);
    private StateTable<TKey, WindowMap<TAcc>>? _windows;

    public override void Open()
    {
        base.Open();
        _windows = WindowTable("window-contents");
    }

    protected override void ProcessKeyed(TIn record, long timestamp)
    {
        var time = assigner.IsEventTime ? EventTimeOf(timestamp) : Timers.CurrentProcessingTime;

        var index = Backend.CurrentKeyGroupIndex;
        var key = Backend.CurrentKey;

        // Contents are changed in place, so take the key group's map for writing first: a snapshot
        // that still reads it gets its own copy (copy-on-write), never records after its barrier.
        _windows!.TryGetForUpdate(index, key, out var windows);
        var changed = false;
        var accepted = false;
        _assigned.Clear();
        assigner.AssignWindows(time, _assigned);
        for (var i = 0; i < _assigned.Count; i++)
        {
            var window = _assigned[i];
            if (assigner.IsMerging && windows is not null)
            {
                window = MergeInto(windows, window);
            }

            if (IsLate(window))
            {
                continue;
            }

            accepted = true;
            windows ??= new WindowMap<TAcc>(_assigned.Count);
            var slot = windows.IndexOf(window);
            var exists = slot >= 0;
            var acc = Contents.Add(exists ? windows.AccumulatorAt(slot) : default, exists, record);
            if (exists)
            {
                windows.SetAt(slot, acc);
            }
            else
            {
                windows.Set(window, acc);
            }

            changed = true;

            // A window's timers are registered when it is created (timers live until they fire or
            // are deleted); merged windows move theirs, so register again.
            if (!exists || assigner.IsMerging)
            {
                RegisterTimers(window);
            }

            if (assigner.IsEventTime && window.MaxTimestamp <= Timers.CurrentWatermark)
            {
                // Late but within allowed lateness: fire again with the new record.
                Fire(key, window, acc);
            }
        }

        if (changed)
        {
            _windows.Put(index, key, windows!);
        }

        if (!accepted)
        {
            Late(record, timestamp);
        }
    }

    protected override void OnTimer(long timestamp, TimeDomain domain)
    {
        var index = Backend.CurrentKeyGroupIndex;
        var key = Backend.CurrentKey;
        if (!_windows!.TryGetForUpdate(index, key, out var windows))
        {
            return;
        }

        var changed = false;
        for (var i = 0; i < windows.Count;)
        {
            // In window order (by start), as the map keeps them.
            var window = windows.WindowAt(i);
            if (window.MaxTimestamp == timestamp)
            {
                Fire(key, window, windows.AccumulatorAt(i));
            }

            var cleanupAt = domain == TimeDomain.EventTime ? window.MaxTimestamp + allowedLateness : window.MaxTimestamp;
            if (cleanupAt == timestamp)
            {
                windows.RemoveAt(i);
                changed = true;
            }
            else
            {
                i++;
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
    private TimeWindow MergeInto(WindowMap<TAcc> windows, TimeWindow window)
    {
        var merged = window;
        var touching = 0;
        for (var i = 0; i < windows.Count; i++)
        {
            if (windows.WindowAt(i).Intersects(window))
            {
                merged = merged.Cover(windows.WindowAt(i));
                touching++;
            }
        }

        if (touching == 0)
        {
            return window;
        }

        TAcc? acc = default;
        var has = false;
        for (var i = 0; i < windows.Count;)
        {
            // By start, as the map keeps them.
            var old = windows.WindowAt(i);
            if (!old.Intersects(window))
            {
                i++;
                continue;
            }

            var contentsOfOld = windows.AccumulatorAt(i);
            acc = has ? Contents.Merge(acc!, contentsOfOld) : contentsOfOld;
            has = true;
            windows.RemoveAt(i);
            if (old != merged)
            {
                DeleteTimers(old);
            }
        }

        windows.Set(merged, acc!);
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
}
