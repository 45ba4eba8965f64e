using BenchmarkDotNet.Attributes;
using Weir.Serialization;
using Weir.Streaming.State;
using Weir.Streaming.State.Changelog;
using Weir.Streaming.Timers;
using Weir.Streaming.Windowing;

namespace Weir.Benchmarks.State;

/// <summary>
/// Restoring a full snapshot's key groups into a table, per key: decoding is varints throughout, so
/// this is where <see cref="DataReader"/>'s reads show in recovery time. Two shapes of 500,000 keys in 64
/// key groups: Nexmark q4's open auctions (four longs) and q5's pane maps (three panes and two timers
/// each, in the paned window operator's format).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
[IterationCount(15)]
public class RestoreBenchmark
{
    private const int KeyGroups = 64;
    private const int Keys = 500_000;
    private byte[][] _payloads = [];

    /// <summary>q4: auctions, four longs a key; q5: pane maps with their timers.</summary>
    [Params("q4", "q5")]
    public string Shape { get; set; } = "q4";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var table = NewTable();
        for (var i = 0; i < Keys; i++)
        {
            var key = random.NextInt64(1L << 40);
            var group = (int)((ulong)key % KeyGroups);
            var opened = 1_700_000_000_000 + random.Next(1_000_000);
            if (table is StateTable<long, (long, long, long, long)> auctions)
            {
                auctions.Put(group, key, PlainSnapshotBenchmark.Auction(random, opened));
            }
            else
            {
                var panes = new WindowMap<long>(3);
                for (var pane = 0; pane < 3; pane++)
                {
                    panes.Set(new TimeWindow(opened + (pane * 2_000), opened + ((pane + 1) * 2_000)), random.Next(100));
                }

                panes.Timers = TimerTimestamps.OfSorted([opened + 1_999, opened + 3_999]);
                ((StateTable<long, WindowMap<long>>)table).Put(group, key, panes);
            }
        }

        _payloads = new byte[KeyGroups][];
        for (var group = 0; group < KeyGroups; group++)
        {
            var writer = new DataWriter();
            var capture = table.Capture(group)!;
            table.WriteCaptured(capture, writer);
            table.Release(capture);
            _payloads[group] = writer.ToArray();
        }
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public long RestorePerKey()
    {
        var table = NewTable();
        for (var group = 0; group < KeyGroups; group++)
        {
            table.RestoreFull(group, _payloads[group]);
        }

        return table.EntryCount(0);
    }

    private IStateTable NewTable() => Shape == "q4"
        ? new StateTable<long, (long, long, long, long)>("auction", KeyGroups, copyValue: null)
        : new StateTable<long, WindowMap<long>>("window-panes-timed", KeyGroups, ValueDelta<WindowMap<long>>.Whole(m => m.Copy(null)), TimedWindowMapSerializer<long>.Instance);
}
