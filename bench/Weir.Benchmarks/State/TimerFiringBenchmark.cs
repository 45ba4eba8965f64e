using BenchmarkDotNet.Attributes;
using Weir.Checkpointing.Metadata;
using Weir.Streaming.State;
using Weir.Streaming.Tasks;
using Weir.Streaming.Timers;

namespace Weir.Benchmarks.State;

/// <summary>
/// Watermarks that each close a window for every key: 250,000 keys in 64 key groups, each with an
/// event-time timer at one timestamp and a value (three longs) the callback reads, as a window
/// operator reads its panes, then registers the key's next timer one window later (a chain, as
/// <c>PanedWindowOperator</c> does); values allocated among other garbage so they lie scattered over
/// the heap. Nexmark q5 at the end of its input fires millions of these. Reported per timer fired.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
[IterationCount(15)]
public class TimerFiringBenchmark
{
    private const int Keys = 250_000;
    private readonly HeapKeyedStateBackend<long> _backend = new(new KeyGroupRange(0, 64), 128);
    private StateTable<long, long[]> _values = null!;
    private InternalTimerService<long> _timers = null!;
    private long _timestamp;
    private long _sum;

    [GlobalSetup]
    public void Setup()
    {
        _values = _backend.Table<long[]>("panes", copyValue: null);
        _timers = new InternalTimerService<long>(_backend, new NoScheduling(), (_, _) =>
        {
            _values.TryGet(_backend.CurrentKeyGroupIndex, _backend.CurrentKey, out var panes);
            _sum += panes[0] + panes[2];
            _timers.RegisterEventTimeTimer(_timestamp + 1_000);
        });
        var random = new Random(1);
        var garbage = new List<byte[]>();
        var keys = 0;
        while (keys < Keys)
        {
            var key = random.NextInt64(1L << 40);
            if (KeyGroupAssigner.KeyGroupFor(key, 128) < 64)
            {
                _backend.SetCurrentKey(key);
                _values.Put(_backend.CurrentKeyGroupIndex, key, [1, 2, 3]);
                _timers.RegisterEventTimeTimer(1_000);
                keys++;
                garbage.Add(new byte[random.Next(16, 200)]);
                if (garbage.Count > 1_000)
                {
                    garbage.RemoveRange(0, random.Next(500, 1_000));
                }
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public long FirePerTimer()
    {
        _timestamp += 1_000;
        _timers.AdvanceWatermark(_timestamp);
        return _sum;
    }

    private sealed class NoScheduling : ITaskServices
    {
        public TimeProvider Clock => TimeProvider.System;

        public IDisposable Schedule(TimeSpan delay, Action action) => throw new InvalidOperationException("Event time only.");

        public void YieldToBarriers()
        {
        }
    }
}
