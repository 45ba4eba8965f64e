using Weir.Checkpointing.Metadata;
using Weir.Storage.InMemory;
using Weir.Streaming.Elements;
using Weir.Streaming.Operators;
using Weir.Streaming.State;
using Weir.Streaming.Tests.Timers;
using Weir.Streaming.Timers;
using Weir.Streaming.Windowing;

namespace Weir.Streaming.Tests.Windowing;

/// <summary>
/// The paned window operator keeps each key's timers in its pane map: a snapshot holds no timer
/// table, restoring it fires every window an uninterrupted run fires, and a checkpoint written
/// before (panes in <c>window-panes</c>, timers in <c>_timers-event</c>) is taken over at restore.
/// </summary>
public sealed class PanedWindowOperatorTests
{
    private const int MaxParallelism = 128;
    private const int Records = 3_000;
    private const long Size = 100;
    private const long Slide = 20;
    private static readonly KeyGroupRange All = new(0, MaxParallelism);

    private readonly InMemoryCheckpointStore _store = new(new ManualTimeProvider());

    [Fact]
    public async Task A_snapshot_holds_the_timers_in_the_panes_and_a_restore_fires_every_window_an_uninterrupted_run_fires()
    {
        var expected = await RunUninterrupted();
        var first = await OpenAsync(restoredFrom: null);
        Feed(first, 0, Records / 2);

        var keysWithTimers = Enumerable.Range(0, All.Count).Sum(i => first.Panes.EntriesOf(i).Count(e => e.Value.Timers is not null));
        Assert.DoesNotContain(first.Backend.Tables, t => t.Name == "_timers-event");
        Assert.True(keysWithTimers > 0, "no key holds a timer in its panes");

        var second = await OpenAsync(restoredFrom: await WriteAsync(first.Backend, "chk-1"));
        Assert.Equal(first.TimerCount, second.TimerCount);
        Feed(second, Records / 2, Records);

        Assert.Equal(expected, first.Output.Concat(second.Output).Order().ToArray());

        // Every window fired: each key's entry left the table with its last timer.
        Assert.Equal(0, Enumerable.Range(0, All.Count).Sum(second.Panes.EntryCount));
    }

    [Fact]
    public async Task A_checkpoint_with_panes_and_timers_in_tables_of_their_own_is_taken_over_at_restore_and_fires_the_same_windows()
    {
        var expected = await RunUninterrupted();
        var first = await OpenAsync(restoredFrom: null);
        Feed(first, 0, Records / 2);

        // The layout before timers moved into the panes: the same panes without timers, the timers in their own table.
        WindowMapSerializer<Record>.Register();
        TimerTimestampsSerializer.Register();
        var old = new HeapKeyedStateBackend<long>(All, MaxParallelism);
        var oldPanes = old.Table<WindowMap<Record>>("window-panes", copyValue: null);
        var oldTimers = old.Table<TimerTimestamps>("_timers-event", copyValue: null);
        for (var index = 0; index < All.Count; index++)
        {
            foreach (var (key, map) in first.Panes.EntriesOf(index))
            {
                var untimed = map.Copy(null);
                untimed.Timers = null;
                oldPanes.Put(index, key, untimed);
                if (map.Timers is { } held)
                {
                    oldTimers.Put(index, key, held);
                }
            }
        }

        var second = await OpenAsync(restoredFrom: await WriteAsync(old, "chk-old"));
        Assert.True(first.TimerCount > 0);
        Assert.Equal(first.TimerCount, second.TimerCount);
        Assert.All(second.Backend.Tables.Where(t => t.Name is "window-panes" or "_timers-event"), t => Assert.Equal(0, Enumerable.Range(0, All.Count).Sum(t.EntryCount)));
        Feed(second, Records / 2, Records);

        Assert.Equal(expected, first.Output.Concat(second.Output).Order().ToArray());
    }

    [Fact]
    public async Task A_checkpoint_of_windows_kept_whole_is_refused_at_open_naming_the_operator()
    {
        // The layout before sliding windows were kept as panes: one map per key of whole windows.
        WindowMapSerializer<Record>.Register();
        var old = new HeapKeyedStateBackend<long>(All, MaxParallelism);
        var windows = new WindowMap<Record>();
        windows[new TimeWindow(0, Size)] = new Record(1, 5);
        old.Table<WindowMap<Record>>("window-contents", copyValue: null).Put(1, 1L, windows);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await OpenAsync(restoredFrom: await WriteAsync(old, "chk-whole")));

        Assert.Contains("Operator 'window' restores windows written before sliding windows were kept as panes", error.Message);
    }

    [Fact]
    public void A_pane_map_with_timers_reads_back_as_written_and_a_corrupt_one_says_what_is_wrong()
    {
        var serializer = TimedWindowMapSerializer<long>.Instance;
        var map = new WindowMap<long>();
        map[new TimeWindow(1_700_000_002_000, 1_700_000_004_000)] = 3;
        map[new TimeWindow(1_700_000_000_000, 1_700_000_002_000)] = 5;
        map[new TimeWindow(1_700_000_008_000, 1_700_000_010_000)] = 1;
        map.Timers = TimerTimestamps.OfSorted([1_700_000_009_999, 1_700_000_011_999]);
        var timersOnly = new WindowMap<long> { Timers = TimerTimestamps.Of(-5) };
        var neither = new WindowMap<long>();

        foreach (var value in new[] { map, timersOnly, neither })
        {
            var reader = new Serialization.DataReader(Write(serializer, value));
            var read = serializer.Read(ref reader);
            Assert.Equal(0, reader.Remaining);
            Assert.Equal(Windows(value), Windows(read));
            Assert.Equal(Timers(value), Timers(read));
        }

        // The first start whole (6 bytes), then the gaps (0 and 4,000 ms: 1 and 2 bytes), sizes (2 each), counts
        // (1 each), the timers from the first pane's end and from each other (2 each): 10 + 4 + 5 + 5 bytes, where
        // the panes alone took 28 before and the timers an entry of their own, 13 bytes and the key.
        Assert.Equal(24, Write(serializer, map).Length);

        var descending = new Serialization.DataWriter();
        descending.WriteVarUInt64(0);
        descending.WriteVarUInt64(2);
        descending.WriteVarInt64(10);
        descending.WriteVarInt64(-3);
        var error = Assert.Throws<Serialization.SerializationException>(() =>
        {
            var reader = new Serialization.DataReader(descending.WrittenSpan);
            serializer.Read(ref reader);
        });
        Assert.Contains("ascending", error.Message);

        var tooMany = new Serialization.DataWriter();
        tooMany.WriteVarUInt64(1_000_000);
        error = Assert.Throws<Serialization.SerializationException>(() =>
        {
            var reader = new Serialization.DataReader(tooMany.WrittenSpan);
            serializer.Read(ref reader);
        });
        Assert.Contains("1000000 panes", error.Message);
    }

    private static (TimeWindow, long)[] Windows(WindowMap<long> map) => [.. Enumerable.Range(0, map.Count).Select(i => (map.WindowAt(i), map.AccumulatorAt(i)))];

    private static long[] Timers(WindowMap<long> map) => map.Timers is { } timers ? [.. Enumerable.Range(0, timers.Count).Select(i => timers[i])] : [];

    private static byte[] Write(TimedWindowMapSerializer<long> serializer, WindowMap<long> value)
    {
        var writer = new Serialization.DataWriter();
        serializer.Write(writer, value);
        return writer.ToArray();
    }

    private async Task<(Record Sum, long Timestamp)[]> RunUninterrupted()
    {
        var run = await OpenAsync(restoredFrom: null);
        Feed(run, 0, Records);
        return [.. run.Output.Order()];
    }

    /// <summary>Records 0..n: key i % 37, value i, event time 7 i plus up to 60 ms of disorder (the same for a record in every run); a watermark 40 ms behind the latest time every 50 records, and the end of time after the last.</summary>
    private static void Feed(Harness harness, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            var time = (i * 7L) + (i * 7_919 % 61);
            harness.Operator.ProcessElement(new Record(i % 37, i), time);
            harness.Latest = Math.Max(harness.Latest, time);
            if (i % 50 == 49)
            {
                harness.Operator.ProcessWatermark(new Watermark(harness.Latest - 40));
            }
        }

        if (to == Records)
        {
            harness.Operator.ProcessWatermark(new Watermark(long.MaxValue));
        }
    }

    private async Task<KeyedStateHandle> WriteAsync(HeapKeyedStateBackend<long> backend, string name)
    {
        using var snapshot = backend.Snapshot();
        return await snapshot.WriteAsync(_store, $"job/{name}/window", CancellationToken.None);
    }

    private async Task<Harness> OpenAsync(KeyedStateHandle? restoredFrom)
    {
        var op = new PanedWindowOperator<long, Record, Record, Record>(
            r => r.Key,
            Size,
            Slide,
            offset: 0,
            new ReduceContents<long, Record, Record>((a, b) => new Record(a.Key, a.Value + b.Value), window: null),
            lateTag: null);
        var harness = new Harness(op);
        op.Setup(new OperatorContext("window", "window", 0, 1, MaxParallelism, new OperatorStateStore(new Dictionary<string, IReadOnlyList<byte[]>>()), restoredFrom is not null, new NoScheduling()));
        op.SetOutput(harness);
        op.CreateKeyedStateBackend();
        if (restoredFrom is not null)
        {
            await KeyedStateRestore.RestoreAsync(_store, op.KeyedStateBackend!, restoredFrom.KeyGroups, CancellationToken.None);
        }

        op.Open();
        return harness;
    }

    internal readonly record struct Record(long Key, long Value) : IComparable<Record>
    {
        public int CompareTo(Record other) => (Key, Value).CompareTo((other.Key, other.Value));
    }

    /// <summary>An operator under test and what it emitted (each window's sum, at the window's last millisecond).</summary>
    private sealed class Harness(PanedWindowOperator<long, Record, Record, Record> op) : IOutput<Record>
    {
        public PanedWindowOperator<long, Record, Record, Record> Operator => op;

        public List<(Record Sum, long Timestamp)> Output { get; } = [];

        public long Latest { get; set; } = long.MinValue;

        public HeapKeyedStateBackend<long> Backend => (HeapKeyedStateBackend<long>)op.KeyedStateBackend!;

        public StateTable<long, WindowMap<Record>> Panes => (StateTable<long, WindowMap<Record>>)Backend.Tables.Single(t => t.Name == "window-panes-timed");

        /// <summary>Timers held in the pane maps.</summary>
        public int TimerCount => Enumerable.Range(0, All.Count).Sum(i => Panes.EntriesOf(i).Sum(e => e.Value.Timers?.Count ?? 0));

        public void Collect(Record record, long timestamp) => Output.Add((record, timestamp));

        public void EmitWatermark(Watermark watermark)
        {
        }

        public void EmitStatus(WatermarkStatus status)
        {
        }
    }
}
