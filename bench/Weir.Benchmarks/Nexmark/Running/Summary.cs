using Weir.Checkpointing.Configuration;
using static Weir.Benchmarks.Quantiles;

namespace Weir.Benchmarks.Nexmark.Running;

/// <summary>
/// The JSON result of <c>nexmark</c>: medians over the runs of the main mode (Weir with the given
/// checkpoint interval, or the baseline with <c>--baseline</c>), the ratios to the comparison runs
/// (each the median of the per-run ratios, since a neighbour's load moves both sides of one run),
/// and every run. Checkpoint figures are those of the checkpoints triggered while the run was
/// measured (between 10% and 90% of its events); <c>jobCheckpoint*</c> are the job's, including
/// the final checkpoint after end of input, which waits for every window that end fires. Ratios
/// come twice: of events per second (wall clock) and of events per CPU second of the process.
/// </summary>
internal sealed record Summary(
    string Query,
    long Events,
    int Parallelism,
    int Partitions,
    long EventRate,
    int ProcessorCount,
    string PerCore,
    string Mode,
    double Seconds,
    double EventsPerSecond,
    double EventsPerSecondPerCore,
    double EventsPerCpuSecond,
    double AllocatedBytesPerEvent,
    string CheckpointInterval,
    bool Incremental,
    bool Unaligned,
    string? AlignedCheckpointTimeout,
    int? CheckpointsWithRecordsInFlight,
    int? CheckpointsCompleted,
    int? CheckpointsFailed,
    double? CheckpointP50Ms,
    double? CheckpointP99Ms,
    double? CheckpointP99MsMax,
    long? CheckpointBytes,
    double? JobCheckpointP50Ms,
    double? JobCheckpointP99Ms,
    long Rows,
    double? CheckpointsOffEventsPerSecondPerCore,
    double? CheckpointsOnOffRatio,
    double? CheckpointsOnOffCpuRatio,
    double? BaselineEventsPerSecondPerCore,
    double? BaselineEventsPerCpuSecond,
    double? BaselineRatio,
    double? BaselineCpuRatio,
    IReadOnlyList<RunFigures> Runs)
{
    public static Summary Of(NexmarkSettings settings, IReadOnlyList<RunFigures> runs)
    {
        var mainMode = settings.BaselineOnly ? "baseline" : "weir";
        var main = runs.Where(r => r.Mode == mainMode && r.CheckpointsEnabled == (settings.CheckpointInterval is not null && !settings.BaselineOnly)).ToArray();
        var off = settings.CompareOff ? runs.Where(r => r.Mode == "weir" && !r.CheckpointsEnabled).ToArray() : [];
        var baseline = settings.WithBaseline ? runs.Where(r => r.Mode == "baseline").ToArray() : [];
        var checkpoints = main.Select(r => r.Checkpoints).OfType<CheckpointFigures>().ToArray();
        var jobCheckpoints = main.Select(r => r.JobCheckpoints).OfType<CheckpointFigures>().ToArray();
        return new Summary(
            settings.Query.Name,
            settings.Events,
            settings.Parallelism,
            settings.Partitions,
            settings.EventRate,
            Environment.ProcessorCount,
            $"events/s divided by min(parallelism, processors) = {RunFigures.Cores(settings.Parallelism)}",
            settings.BaselineOnly ? "baseline (generator into a counting blackhole, no Weir)" : "weir",
            Median(main.Select(r => r.Seconds)),
            Median(main.Select(r => r.EventsPerSecond)),
            Median(main.Select(r => r.EventsPerSecondPerCore)),
            Median(main.Select(r => r.EventsPerCpuSecond)),
            Median(main.Select(r => r.AllocatedBytesPerEvent)),
            settings.CheckpointInterval is { } interval && !settings.BaselineOnly ? FlinkDuration.Format(interval) : "off",
            settings.Incremental,
            settings.Unaligned,
            settings.Unaligned ? FlinkDuration.Format(settings.AlignedCheckpointTimeout) : null,
            jobCheckpoints.Length == 0 ? null : (int?)MedianOrNull(jobCheckpoints.Select(c => (double?)c.WithRecordsInFlight)),
            checkpoints.Length == 0 ? null : (int)Median(checkpoints.Select(c => (double)c.Completed)),
            checkpoints.Length == 0 ? null : (int)Median(checkpoints.Select(c => (double)c.Failed)),
            MedianOrNull(checkpoints.Select(c => c.P50Ms)),
            MedianOrNull(checkpoints.Select(c => c.P99Ms)),
            checkpoints.Select(c => c.P99Ms).Max(),
            checkpoints.Length == 0 ? null : (long?)MedianOrNull(checkpoints.Select(c => (double?)c.BytesPerCheckpoint)),
            MedianOrNull(jobCheckpoints.Select(c => c.P50Ms)),
            MedianOrNull(jobCheckpoints.Select(c => c.P99Ms)),
            main.Length == 0 ? 0 : main[0].Rows,
            off.Length == 0 ? null : Median(off.Select(r => r.EventsPerSecondPerCore)),
            off.Length == 0 ? null : Median(main.Zip(off, (on, o) => on.EventsPerSecond / o.EventsPerSecond)),
            off.Length == 0 ? null : Median(main.Zip(off, (on, o) => on.EventsPerCpuSecond / o.EventsPerCpuSecond)),
            baseline.Length == 0 ? null : Median(baseline.Select(r => r.EventsPerSecondPerCore)),
            baseline.Length == 0 ? null : Median(baseline.Select(r => r.EventsPerCpuSecond)),
            baseline.Length == 0 ? null : Median(main.Zip(baseline, (w, b) => w.EventsPerSecond / b.EventsPerSecond)),
            baseline.Length == 0 ? null : Median(main.Zip(baseline, (w, b) => w.EventsPerCpuSecond / b.EventsPerCpuSecond)),
            runs);
    }

    private static double? MedianOrNull(IEnumerable<double?> values)
    {
        var present = values.OfType<double>().ToArray();
        return present.Length == 0 ? null : Median(present);
    }
}
