using BenchmarkDotNet.Attributes;
using Weir.Serialization;
using Weir.Streaming.State;

namespace Weir.Benchmarks.State;

/// <summary>
/// A full snapshot of a table of plain data, Nexmark q4's open auctions (1,000,000 keys in 64 key
/// groups, a value of four longs each), per key: the synchronous capture alone (and its release), and
/// capture, write and release. Captured entries that hold no references are not cleared when their
/// chunks go back (bench/README.md, "Plain captures are not cleared").
/// </summary>
[InvocationCount(1)]
[IterationCount(15)]
public class PlainSnapshotBenchmark
{
    private const int KeyGroups = 64;
    private const int Keys = 1_000_000;
    private readonly DataWriter _writer = new(64 << 20);
    private StateTable<long, (long, long, long, long)> _table = null!;
    private readonly object?[] _captures = new object?[KeyGroups];

    [GlobalSetup]
    public void Setup()
    {
        _table = new StateTable<long, (long, long, long, long)>("auction", KeyGroups, copyValue: null);
        var random = new Random(1);
        for (var i = 0; i < Keys; i++)
        {
            var key = 1_000 + i;
            var opened = 1_700_000_000_000 + random.Next(1_000_000);
            _table.Put((int)((ulong)key % KeyGroups), key, Auction(random, opened));
        }
    }

    /// <summary>An open auction as q4's winning-bid state holds it: category, opened, expires, highest price (-1: none yet).</summary>
    internal static (long, long, long, long) Auction(Random random, long opened) =>
        (random.Next(10), opened, opened + random.Next(1_000, 100_000), random.Next(-1, 100_000));

    [Benchmark(OperationsPerInvoke = Keys)]
    public int CapturePerKey()
    {
        for (var group = 0; group < KeyGroups; group++)
        {
            _captures[group] = _table.Capture(group);
        }

        for (var group = 0; group < KeyGroups; group++)
        {
            _table.Release(_captures[group]!);
        }

        return 0;
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public int CaptureAndWritePerKey()
    {
        _writer.Reset();
        for (var group = 0; group < KeyGroups; group++)
        {
            var capture = _table.Capture(group)!;
            _table.WriteCaptured(capture, _writer);
            _table.Release(capture);
        }

        return _writer.Length;
    }
}
