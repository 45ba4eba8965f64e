namespace Weir.Checkpointing.Coordinator;

/// <summary>Counts and durations of a job's checkpoints, for progress lines, status calls and benchmarks.</summary>
public sealed class CheckpointStatistics
{
    private readonly List<double> _durationsMs = [];

    /// <summary>Checkpoints completed.</summary>
    public int Completed { get; private set; }

    /// <summary>Checkpoints that failed or were aborted (all reasons).</summary>
    public int Failed { get; private set; }

    /// <summary>The latest completed checkpoint's id, duration and size.</summary>
    public (long Id, TimeSpan Duration, long StateSize, DateTimeOffset CompletedAt)? Latest { get; private set; }

    /// <summary>Bytes of state of all completed checkpoints together.</summary>
    public long TotalStateSize { get; private set; }

    /// <summary>Completed checkpoints that hold records in flight: unaligned, or turned unaligned somewhere after their alignment timed out.</summary>
    public int CompletedWithRecordsInFlight { get; private set; }

    internal void OnCompleted(long id, TimeSpan duration, long stateSize, DateTimeOffset at, bool recordsInFlight = false)
    {
        Completed++;
        CompletedWithRecordsInFlight += recordsInFlight ? 1 : 0;
        TotalStateSize += stateSize;
        Latest = (id, duration, stateSize, at);
        _durationsMs.Add(duration.TotalMilliseconds);
    }

    internal void OnFailed() => Failed++;

    /// <summary>A copy of the figures.</summary>
    public CheckpointStats Snapshot()
    {
        var sorted = _durationsMs.Order().ToArray();
        return new CheckpointStats(
            Completed,
            Failed,
            Latest?.Id,
            Latest?.Duration,
            Latest?.StateSize,
            Percentile(sorted, 0.5),
            Percentile(sorted, 0.99),
            TotalStateSize,
            CompletedWithRecordsInFlight);
    }

    private static double? Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return null;
        }

        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}

/// <summary>A snapshot of <see cref="CheckpointStatistics"/>.</summary>
public sealed record CheckpointStats(
    int Completed,
    int Failed,
    long? LatestId,
    TimeSpan? LatestDuration,
    long? LatestStateSize,
    double? DurationP50Ms,
    double? DurationP99Ms,
    long TotalStateSize,
    int CompletedWithRecordsInFlight = 0);
