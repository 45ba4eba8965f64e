using System.Diagnostics;

namespace Weir.Benchmarks.Nexmark.Running;

/// <summary>
/// Times the steady part of a run from inside the source: the wall clock, the process's CPU time
/// and its allocations when the events emitted (over all source subtasks) cross 10% and then 90%
/// of the run. So start-up, the warm-up of the first events, the drain at the end of input and
/// the wait for the final checkpoint stay out of the figure, with or without checkpoints (Flink's
/// Nexmark likewise reports the sources' rate while they run).
/// </summary>
public sealed class ThroughputProbe
{
    private readonly long _from;
    private readonly long _to;
    private long _emitted;
    private Mark? _start;
    private Mark? _end;

    /// <summary>A probe for a run of <paramref name="events"/> events.</summary>
    public ThroughputProbe(long events)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(events, 1);
        _from = Math.Max(1, events / 10);
        _to = Math.Max(_from + 1, events - (events / 10));
    }

    /// <summary>Events emitted so far.</summary>
    public long Emitted => Volatile.Read(ref _emitted);

    /// <summary>The measured interval, once the run passed 90%.</summary>
    public Interval? Measured => _start is { } start && _end is { } end ? new Interval(start, end) : null;

    /// <summary>A source subtask emitted <paramref name="count"/> more events. Thread-safe; cheap (call per batch).</summary>
    public void OnEmitted(long count)
    {
        var after = Interlocked.Add(ref _emitted, count);
        var before = after - count;
        if (before < _from && after >= _from)
        {
            _start = Mark.Now(after);
        }

        if (before < _to && after >= _to)
        {
            _end = Mark.Now(after);
        }
    }

    /// <summary>A point of the run: events emitted, clock, CPU time of the process, bytes allocated, collections, time the GC paused the process.</summary>
    public readonly record struct Mark(long Events, long Timestamp, TimeSpan Cpu, long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan GcPause)
    {
        /// <summary>Now.</summary>
        public static Mark Now(long events)
        {
            using var process = Process.GetCurrentProcess();
            return new Mark(events, Stopwatch.GetTimestamp(), process.TotalProcessorTime, GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        }
    }

    /// <summary>What happened between two marks.</summary>
    public readonly record struct Interval(Mark Start, Mark End)
    {
        /// <summary>Events emitted in between.</summary>
        public long Events => End.Events - Start.Events;

        /// <summary>Wall-clock seconds.</summary>
        public double Seconds => Stopwatch.GetElapsedTime(Start.Timestamp, End.Timestamp).TotalSeconds;

        /// <summary>CPU seconds of the whole process (every thread: tasks, GC, timers, the coordinator).</summary>
        public double CpuSeconds => (End.Cpu - Start.Cpu).TotalSeconds;

        /// <summary>Bytes allocated per event.</summary>
        public double AllocatedBytesPerEvent => (double)(End.AllocatedBytes - Start.AllocatedBytes) / Events;

        /// <summary>Garbage collections of each generation.</summary>
        public (int Gen0, int Gen1, int Gen2) Collections => (End.Gen0 - Start.Gen0, End.Gen1 - Start.Gen1, End.Gen2 - Start.Gen2);

        /// <summary>Milliseconds the GC paused the process in between (not a background collection's concurrent work).</summary>
        public double GcPauseMs => (End.GcPause - Start.GcPause).TotalMilliseconds;
    }
}
