using System.Runtime.CompilerServices;
using Weir.Streaming.State;
using Weir.Streaming.Timers;

namespace Weir.Streaming.Windowing;

/// <summary>
/// Sliding event-time windows over panes (Flink SQL's window slicing). A record goes into one pane,
/// the slide-long slice of time it falls in, instead of into size/slide overlapping windows; when
/// the watermark passes a window's end, the window's contents are the merge of its panes. So a
/// record costs one accumulator update, and a key keeps its panes (at most size/slide + the few
/// ahead of the watermark) and one timer, instead of size/slide windows and a timer each.
///
/// Per key the timers form a chain: a new pane registers the end of the first window holding it
/// that has not fired; firing a window drops the panes no later window holds and registers the
/// end of the next window holding the earliest pane left. Timers are deduplicated per key and
/// time, so every window end fires once. Results, late records (their pane's last window has
/// fired: side output or dropped) and window metadata are those of <see cref="WindowOperator{TKey, TIn, TAcc, TOut}"/>
/// on the same input.
///
/// Used when the result cannot tell the difference: slide divides size, no allowed lateness, and
/// an aggregate with a merge function over an accumulator without references (a merge that reuses
/// one of its arguments cannot then change a stored pane).
/// </summary>
internal sealed class PanedWindowOperator<TKey, TIn, TAcc, TOut>(
    Func<TIn, TKey> keySelector,
    long size,
    long slide,
    long offset,
    WindowContents<TKey, TIn, TAcc, TOut> contents,
    OutputTag<TIn>? lateTag) : WindowOperatorBase<TKey, TIn, TAcc, TOut>(keySelector, contents, lateTag)
    where TKey : notnull
{
    private StateTable<TKey, WindowMap<TAcc>>? _panes;

    /// <summary>Whether windows of <paramref name="assigner"/> over <paramref name="contents"/> can be computed from panes with the same results.</summary>
    public static bool Applies(WindowAssigner assigner, WindowContents<TKey, TIn, TAcc, TOut> contents, long allowedLateness) =>
        assigner is SlidingEventTimeWindows sliding
        && sliding.Size % sliding.Slide == 0
        && allowedLateness == 0
        && contents.MergesAccumulators
        && !RuntimeHelpers.IsReferenceOrContainsReferences<TAcc>();

    public override void Open()
    {
        base.Open();
        if (Context.IsRestored && WindowTable("window-contents").Count > 0)
        {
            throw new InvalidOperationException($"Operator '{Context.Name}' restores windows written before sliding windows were kept as panes; restore it with the Weir version that wrote the checkpoint, or start without its state.");
        }

        _panes = WindowTable("window-panes");
    }

    protected override void ProcessKeyed(TIn record, long timestamp)
    {
        var paneStart = TimeWindow.StartOf(EventTimeOf(timestamp), offset, slide);
        var watermark = Timers.CurrentWatermark;

        // The last window holding the pane ends size after the pane starts.
        if (paneStart + size - 1 <= watermark)
        {
            Late(record, timestamp);
            return;
        }

        var index = Backend.CurrentKeyGroupIndex;
        var key = Backend.CurrentKey;
        var pane = new TimeWindow(paneStart, paneStart + slide);

        // Panes are changed in place: take the key group's map for writing first (copy-on-write during a snapshot).
        _panes!.TryGetForUpdate(index, key, out var panes);
        panes ??= new WindowMap<TAcc>(2);
        var slot = panes.IndexOf(pane);
        if (slot >= 0)
        {
            panes.SetAt(slot, Contents.Add(panes.AccumulatorAt(slot), true, record));
        }
        else
        {
            panes.Set(pane, Contents.Add(default, false, record));
            Timers.RegisterEventTimeTimer(FirstUnfiredEnd(pane.End, watermark) - 1);
        }

        _panes.Put(index, key, panes);
    }

    protected override void OnTimer(long timestamp, TimeDomain domain)
    {
        var index = Backend.CurrentKeyGroupIndex;
        var key = Backend.CurrentKey;
        if (!_panes!.TryGetForUpdate(index, key, out var panes))
        {
            return;
        }

        var end = timestamp + 1;
        var window = new TimeWindow(end - size, end);
        TAcc? merged = default;
        var any = false;
        for (var i = 0; i < panes.Count; i++)
        {
            var pane = panes.WindowAt(i);
            if (pane.Start >= window.Start && pane.End <= window.End)
            {
                merged = any ? Contents.Merge(merged!, panes.AccumulatorAt(i)) : panes.AccumulatorAt(i);
                any = true;
            }
        }

        if (any)
        {
            Fire(key, window, merged!);
        }

        // Panes that end by the next window's start are in no later window.
        var nextStart = window.Start + slide;
        while (panes.Count > 0 && panes.WindowAt(0).End <= nextStart)
        {
            panes.RemoveAt(0);
        }

        if (panes.Count == 0)
        {
            _panes.Remove(index, key);
            return;
        }

        _panes.Put(index, key, panes);
        Timers.RegisterEventTimeTimer(Math.Max(end + slide, panes.WindowAt(0).End) - 1);
    }

    /// <summary>The first window end, from <paramref name="end"/> on in steps of the slide, whose window has not fired at <paramref name="watermark"/>.</summary>
    private long FirstUnfiredEnd(long end, long watermark)
    {
        if (end - 1 > watermark)
        {
            return end;
        }

        var steps = ((watermark + 1 - end) / slide) + 1;
        return end + (steps * slide);
    }
}
