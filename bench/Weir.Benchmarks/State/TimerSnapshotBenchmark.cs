using BenchmarkDotNet.Attributes;
using Weir.Serialization;
using Weir.Streaming.State;
using Weir.Streaming.Timers;

namespace Weir.Benchmarks.State;

/// <summary>
/// A full snapshot (capture, then write) of a timer table shaped like Nexmark q4's: 1,000,000 keys in
/// 64 key groups with one event-time timer each (an auction's expiry), per key. <see cref="Inline"/>
/// false keeps each key's timestamps in a <c>long[]</c> allocated among other garbage (scattered over
/// the heap), as timers were kept before <see cref="TimerTimestamps"/>; true keeps the one inline. Both
/// write the same bytes.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
[IterationCount(15)]
public class TimerSnapshotBenchmark
{
    private const int KeyGroups = 64;
    private const int Keys = 1_000_000;
    private readonly DataWriter _writer = new(16 << 20);
    private IStateTable _table = null!;

    [Params(false, true)]
    public bool Inline { get; set; }

    /// <summary>Percent of keys with three timers instead of one (q4: auctions with bids that came before them).</summary>
    [Params(0, 20)]
    public int ManyPercent { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TimerTimestampsSerializer.Register();
        var arrays = new StateTable<long, long[]>("timers", KeyGroups, copyValue: null);
        var inline = new StateTable<long, TimerTimestamps>("timers", KeyGroups, copyValue: null);
        var random = new Random(1);
        var garbage = new List<byte[]>();
        for (var i = 0; i < Keys; i++)
        {
            var key = random.NextInt64(1L << 40);
            var expires = 1_700_000_000_000 + random.Next(1_000_000);
            var group = (int)((ulong)key % KeyGroups);
            long[] timestamps = random.Next(100) < ManyPercent ? [expires, expires + 1, expires + 2] : [expires];
            if (Inline)
            {
                inline.Put(group, key, TimerTimestamps.OfSorted(timestamps));
            }
            else
            {
                arrays.Put(group, key, timestamps);
            }

            garbage.Add(new byte[random.Next(16, 200)]);
            if (garbage.Count > 1_000)
            {
                garbage.RemoveRange(0, random.Next(500, 1_000));
            }
        }

        _table = Inline ? inline : arrays;
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public int SnapshotPerKey()
    {
        _writer.Reset();
        for (var group = 0; group < KeyGroups; group++)
        {
            if (_table.Capture(group) is { } capture)
            {
                _table.WriteCaptured(capture, _writer);
                _table.Release(capture);
            }
        }

        return _writer.Length;
    }
}
