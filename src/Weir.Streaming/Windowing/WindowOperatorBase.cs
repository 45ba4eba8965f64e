using Weir.Serialization;
using Weir.Streaming.Elements;
using Weir.Streaming.Operators;
using Weir.Streaming.State;
using Weir.Streaming.State.Changelog;

namespace Weir.Streaming.Windowing;

/// <summary>
/// What the window operators share: window maps in keyed state, late records (to the late side
/// output if any, else counted and dropped), and firing a window (results carry its max timestamp).
/// </summary>
internal abstract class WindowOperatorBase<TKey, TIn, TAcc, TOut>(
    Func<TIn, TKey> keySelector,
    WindowContents<TKey, TIn, TAcc, TOut> contents,
    OutputTag<TIn>? lateTag) : KeyedOneInputOperator<TKey, TIn, TOut>(keySelector)
    where TKey : notnull
{
    private readonly WindowContext _windowContext = new();
    private TimestampedCollector<TOut>? _collector;
    private IOutput<TIn>? _lateOutput;

    /// <summary>Records dropped as late (no side output).</summary>
    public long DroppedLate { get; private set; }

    protected WindowContents<TKey, TIn, TAcc, TOut> Contents => contents;

    public override void Open()
    {
        WindowMapSerializer<TAcc>.Register();
        _collector = new TimestampedCollector<TOut>(Output);
        _lateOutput = lateTag is null ? null : SideOutput(lateTag);
        _ = Timers;
    }

    /// <summary>The keyed table of window maps named <paramref name="name"/> (values copied for copy-on-write), encoded by <paramref name="serializer"/> if given.</summary>
    protected StateTable<TKey, WindowMap<TAcc>> WindowTable(string name, ISerializer<WindowMap<TAcc>>? serializer = null) =>
        Backend.Table(name, ValueDelta<WindowMap<TAcc>>.Whole(windows => windows.Copy(contents.CopyAccumulator)), serializer);

    /// <summary>A record's event time; fails if it has none.</summary>
    protected long EventTimeOf(long timestamp) =>
        timestamp != RecordBatch.NoTimestamp
            ? timestamp
            : throw new InvalidOperationException($"Operator '{Context.Name}' uses event-time windows, but a record has no timestamp: assign timestamps with AssignTimestampsAndWatermarks(...) upstream.");

    /// <summary>A record too late for every window it belongs to.</summary>
    protected void Late(TIn record, long timestamp)
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

    protected void Fire(TKey key, TimeWindow window, TAcc acc)
    {
        _windowContext.Window = window;
        _windowContext.CurrentWatermark = Timers.CurrentWatermark;
        _windowContext.CurrentProcessingTime = Timers.CurrentProcessingTime;
        _collector!.Timestamp = window.MaxTimestamp;
        contents.Emit(key, _windowContext, acc, _collector);
    }
}
