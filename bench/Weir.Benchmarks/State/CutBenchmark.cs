using BenchmarkDotNet.Attributes;
using Weir.Serialization;
using Weir.Streaming.State;
using Weir.Streaming.State.Changelog;
using Weir.Streaming.Timers;
using Weir.Streaming.Windowing;

namespace Weir.Benchmarks.State;

/// <summary>
/// An incremental checkpoint's synchronous part on state shaped like Nexmark q5's: 500,000 keys in
/// 64 key groups, each with a map of three panes and a timer list, the values allocated among other
/// garbage so they lie scattered over the heap. Before each invocation a quarter of the keys change
/// (pane updated in place and put, timer list replaced); the invocation is the cut that serializes
/// them, reported per changed key, with and without <see cref="Prefetch"/>; and a full snapshot of
/// every key, as full checkpoints and materializations write them. <see cref="TimersInPanes"/>: the
/// timer lists kept in the pane maps (one table, <see cref="TimedWindowMapSerializer{TAcc}"/>, as the
/// paned window operator keeps them) against a timer table of their own, in the same run.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
[IterationCount(20)]
public class CutBenchmark
{
    private const int KeyGroups = 64;
    private const int Keys = 500_000;
    private readonly DataWriter _writer = new(8 << 20);
    private StateTable<long, WindowMap<long>> _panes = null!;
    private StateTable<long, TimerTimestamps> _timers = null!;
    private long[] _keys = [];
    private long[][] _changed = [];
    private int _round;

    [Params(true, false)]
    public bool Prefetching { get; set; }

    [Params(true, false)]
    public bool TimersInPanes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Prefetch.Enabled = Prefetching;
        WindowMapSerializer<long>.Register();
        _panes = new StateTable<long, WindowMap<long>>("panes", KeyGroups, ValueDelta<WindowMap<long>>.Whole(m => m.Copy(null)), TimersInPanes ? TimedWindowMapSerializer<long>.Instance : null);
        TimerTimestampsSerializer.Register();
        _timers = new StateTable<long, TimerTimestamps>("timers", KeyGroups, copyValue: null);
        _panes.TrackChanges();
        _timers.TrackChanges();
        var random = new Random(1);
        _keys = [.. Enumerable.Range(0, Keys).Select(_ => random.NextInt64(1L << 40))];
        var garbage = new List<byte[]>();
        foreach (var key in _keys)
        {
            var panes = new WindowMap<long>(2);
            for (var pane = 0; pane < 3; pane++)
            {
                panes.Set(new TimeWindow(pane * 2_000, (pane + 1) * 2_000), pane);
            }

            PutTimers(key, panes, TimerTimestamps.OfSorted([1_999, 3_999]));
            garbage.Add(new byte[random.Next(16, 200)]);
            if (garbage.Count > 1_000)
            {
                garbage.RemoveRange(0, random.Next(500, 1_000));
            }
        }

        _changed = [.. Enumerable.Range(0, 8).Select(_ => _keys.OrderBy(_ => random.Next()).Take(Keys / 4).ToArray())];
        Cut();
    }

    [GlobalCleanup]
    public void Cleanup() => Prefetch.Enabled = true;

    [IterationSetup]
    public void ChangeAQuarter()
    {
        foreach (var key in _changed[_round++ % _changed.Length])
        {
            var group = Group(key);
            _panes.TryGetForUpdate(group, key, out var panes);
            panes.SetAt(0, panes.AccumulatorAt(0) + 1);
            PutTimers(key, panes, TimerTimestamps.OfSorted([1_999, 5_999]));
        }
    }

    [Benchmark(OperationsPerInvoke = Keys / 4)]
    public int CutPerChangedKey() => Cut();

    /// <summary>A full snapshot of both states (captured as on the task thread, then written), per key.</summary>
    [Benchmark(OperationsPerInvoke = Keys)]
    public int SnapshotPerKey()
    {
        _writer.Reset();
        for (var group = 0; group < KeyGroups; group++)
        {
            Write(_panes, group);
            Write(_timers, group);
        }

        return _writer.Length;
    }

    private void Write(IStateTable table, int group)
    {
        if (table.Capture(group) is { } capture)
        {
            table.WriteCaptured(capture, _writer);
            table.Release(capture);
        }
    }

    private void PutTimers(long key, WindowMap<long> panes, TimerTimestamps timers)
    {
        if (TimersInPanes)
        {
            panes.Timers = timers;
        }
        else
        {
            _timers.Put(Group(key), key, timers);
        }

        _panes.Put(Group(key), key, panes);
    }

    private static int Group(long key) => (int)((ulong)key % KeyGroups);

    private int Cut()
    {
        _writer.Reset();
        for (var group = 0; group < KeyGroups; group++)
        {
            _panes.WriteChanges(group, _writer);
            _timers.WriteChanges(group, _writer);
        }

        return _writer.Length;
    }
}
