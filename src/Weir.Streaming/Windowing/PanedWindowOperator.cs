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
/// A key's timers are kept in its pane map (<see cref="WindowMap{TAcc}.Timers"/>, table
/// <c>window-panes-timed</c>), not in a timer table of their own: a key is one entry, captured and
/// written once per snapshot, and its timer is a byte or two beside its panes instead of an entry
/// that repeats the key and the time whole (q5 with full checkpoints wrote 40 % less; bench/README.md,
/// "Timers inside the panes"). Checkpoints written before, with panes in <c>window-panes</c> and timers
/// in <c>_timers-event</c>, are taken over at restore.
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
    private const string PanesName = "window-panes-timed";
    private const string UntimedPanesName = "window-panes";

    private StateTable<TKey, WindowMap<TAcc>>? _panes;
    private PaneTimers? _timers;

    /// <summary>Whether windows of <paramref name="assigner"/> over <paramref name="contents"/> can be computed from panes with the same results.</summary>
    public static bool Applies(WindowAssigner assigner, WindowContents<TKey, TIn, TAcc, TOut> contents, long allowedLateness) =>
        assigner is SlidingEventTimeWindows sliding
        && sliding.Size % sliding.Slide == 0
        && allowedLateness == 0
        && contents.MergesAccumulators
        && !RuntimeHelpers.IsReferenceOrContainsReferences<TAcc>();

    public override void Open()
    {
        // The panes first: opening creates the timer service, which reads the timers from them.
        _panes = WindowTable(PanesName, TimedWindowMapSerializer<TAcc>.Instance);
        _timers = new PaneTimers(_panes);
        TakeOverSeparateTimers();
        base.Open();
        if (Backend.HasPendingRestore("window-contents"))
        {
            throw new InvalidOperationException($"Operator '{Context.Name}' restores windows written before sliding windows were kept as panes; restore it with the Weir version that wrote the checkpoint, or start without its state.");
        }
    }

    protected override ITimerStore<TKey> EventTimerStore() => _timers!;

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

        // Panes are changed in place: the key's map taken for writing (copied first while a snapshot
        // reads it), and in the table before a timer goes into it.
        var panes = _panes!.GetOrAddForUpdate(index, key, static () => new WindowMap<TAcc>(2));
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

        _panes.Put(index, key, panes);

        // No pane left: the entry leaves the table with its last timer, this one (PaneTimers.Remove, once the callback returns).
        if (panes.Count > 0)
        {
            Timers.RegisterEventTimeTimer(Math.Max(end + slide, panes.WindowAt(0).End) - 1);
        }
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

    /// <summary>
    /// A checkpoint written before timers were kept in the panes holds the panes in
    /// <c>window-panes</c> and the timers in <c>_timers-event</c>: both move into the panes table,
    /// once, as the operator opens (so the next checkpoint has them there only).
    /// </summary>
    private void TakeOverSeparateTimers()
    {
        if (!Backend.HasPendingRestore(UntimedPanesName) && !Backend.HasPendingRestore(InternalTimerService<TKey>.EventTimersName))
        {
            return;
        }

        WindowMapSerializer<TAcc>.Register();
        var untimed = WindowTable(UntimedPanesName);
        var separate = InternalTimerService<TKey>.TableStore(Backend, InternalTimerService<TKey>.EventTimersName);
        for (var index = 0; index < Backend.Range.Count; index++)
        {
            foreach (var (key, panes) in untimed.EntriesOf(index).ToList())
            {
                _panes!.Put(index, key, panes);
                untimed.Remove(index, key);
            }

            foreach (var (key, timestamps) in separate.EntriesOf(index).ToList())
            {
                _timers!.Put(index, key, timestamps);
                separate.Remove(index, key);
            }
        }
    }

    /// <summary>The event-time timers of a key, kept in its pane map; a map with neither panes nor timers leaves the table.</summary>
    private sealed class PaneTimers(StateTable<TKey, WindowMap<TAcc>> panes) : ITimerStore<TKey>
    {
        public bool TryGet(int keyGroupIndex, TKey key, out TimerTimestamps timers)
        {
            if (panes.TryGet(keyGroupIndex, key, out var map) && map.Timers is { } held)
            {
                timers = held;
                return true;
            }

            timers = default;
            return false;
        }

        public void Put(int keyGroupIndex, TKey key, TimerTimestamps timers)
        {
            // Taken for writing: a snapshot reading the map keeps the timers it had.
            var map = panes.GetOrAddForUpdate(keyGroupIndex, key, static () => new WindowMap<TAcc>());
            map.Timers = timers;
            panes.Put(keyGroupIndex, key, map);
        }

        public void Remove(int keyGroupIndex, TKey key)
        {
            if (!panes.TryGetForUpdate(keyGroupIndex, key, out var map))
            {
                return;
            }

            if (map.Count == 0)
            {
                panes.Remove(keyGroupIndex, key);
                return;
            }

            map.Timers = null;
            panes.Put(keyGroupIndex, key, map);
        }

        public IEnumerable<(TKey Key, TimerTimestamps Timers)> EntriesOf(int keyGroupIndex) =>
            panes.EntriesOf(keyGroupIndex).Where(static e => e.Value.Timers.HasValue).Select(static e => (e.Key, e.Value.Timers!.Value));
    }
}
