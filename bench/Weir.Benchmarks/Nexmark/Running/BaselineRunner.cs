using Weir.Benchmarks.Nexmark.Generator;

namespace Weir.Benchmarks.Nexmark.Running;

/// <summary>
/// The baseline: the same generator, partitions and threads as a run's sources, feeding a
/// blackhole that counts the events and folds their times (so nothing is optimized away), with no
/// Weir runtime at all. The most a query could do with this input on this machine.
/// </summary>
internal static class BaselineRunner
{
    private const int Slice = 1024;

    public static RunFigures Run(GeneratorConfig config, long events, int parallelism, int partitions)
    {
        var probe = new ThroughputProbe(events);
        var generator = new NexmarkGenerator(config);
        var checksums = new long[parallelism];
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var threads = Enumerable.Range(0, parallelism).Select(t => new Thread(() => checksums[t] = Consume(generator, events, partitions, parallelism, t, probe)) { Name = $"baseline-{t}" }).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        GC.KeepAlive(checksums);
        var measured = probe.Measured ?? throw new InvalidOperationException("The baseline did not reach 90% of its events.");
        return RunFigures.Of("baseline", false, measured, parallelism, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, events, null);
    }

    /// <summary>One thread: the partitions a source subtask would read, round-robin in slices.</summary>
    private static long Consume(NexmarkGenerator generator, long events, int partitions, int parallelism, int thread, ThroughputProbe probe)
    {
        var mine = Enumerable.Range(0, partitions).Where(p => p % parallelism == thread).ToArray();
        var next = new long[mine.Length];
        var checksum = 0L;
        var active = true;
        while (active)
        {
            active = false;
            for (var i = 0; i < mine.Length; i++)
            {
                var end = Math.Min(next[i] + Slice, NexmarkSource.EventsIn(mine[i], partitions, events));
                if (next[i] >= end)
                {
                    continue;
                }

                active = true;
                var number = mine[i] + (next[i] * partitions);
                for (var index = next[i]; index < end; index++, number += partitions)
                {
                    var e = generator.At(number);
                    checksum += e.DateTime + (long)e.Type;
                }

                probe.OnEmitted(end - next[i]);
                next[i] = end;
            }
        }

        return checksum;
    }
}
