using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Benchmarks.Nexmark.Generator;
using Weir.Benchmarks.Nexmark.Model;
using Weir.Benchmarks.Nexmark.Queries;
using Weir.Checkpointing.Configuration;
using Weir.Checkpointing.Coordinator;
using Weir.Hosting;
using Weir.Hosting.Channels;
using Weir.Hosting.Grains;
using Weir.Streaming.Api;
using Weir.Streaming.Graph;
using Weir.Streaming.Watermarks;

namespace Weir.Benchmarks.Nexmark.Running;

/// <summary>
/// Runs Nexmark queries as Weir jobs on a silo in this process (checkpoints in a temporary
/// directory, logging off), one job at a time, and measures each with a <see cref="ThroughputProbe"/>.
/// </summary>
internal sealed class WeirRunner : IAsyncDisposable
{
    /// <summary>The watermark delay of Flink Nexmark's source table (<c>WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND</c>).</summary>
    public static readonly TimeSpan WatermarkDelay = TimeSpan.FromSeconds(4);

    private readonly IHost _host;
    private readonly string _checkpointDirectory;
    private readonly CheckpointLog _log;
    private readonly bool _verbose;
    private int _jobs;

    private WeirRunner(IHost host, string checkpointDirectory, CheckpointLog log, bool verbose)
    {
        _host = host;
        _checkpointDirectory = checkpointDirectory;
        _log = log;
        _verbose = verbose;
    }

    /// <summary>The coordinator's lines since the last call (with <c>--verbose</c>), else none.</summary>
    public IReadOnlyList<string> DrainLog()
    {
        var lines = _log.DrainLines();
        return _verbose ? lines : [];
    }

    public static async Task<WeirRunner> StartAsync(int? channelCapacity, bool verbose)
    {
        var directory = Path.Combine(Path.GetTempPath(), "weir-nexmark-" + Guid.NewGuid().ToString("N")[..8]);
        // No defaults: an appsettings.json in the working directory (the repository's turns the
        // coordinator's log down to warnings) must not hide the completions the figures come from.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        var log = new CheckpointLog();
        builder.Logging.AddProvider(log).SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information);

        if (channelCapacity is { } capacity)
        {
            builder.Services.AddSingleton(new ChannelRegistry(capacity: capacity));
        }

        builder.Services.AddWeir(WeirOptions.Default.With(("execution.checkpointing.dir", directory)));
        var host = builder.Build();
        await host.StartAsync();
        return new WeirRunner(host, directory, log, verbose);
    }

    /// <summary>Builds the job of <paramref name="query"/> over the first <paramref name="events"/> events.</summary>
    public static StreamExecutionEnvironment Job(NexmarkQuery query, GeneratorConfig config, long events, int parallelism, int partitions, IResultSinks sinks, ThroughputProbe? probe)
    {
        var env = StreamExecutionEnvironment.Create(parallelism);
        var source = env
            .AddSource(new NexmarkSource(config, events, partitions, probe), "nexmark", WatermarkStrategy<Event>.ForBoundedOutOfOrderness(WatermarkDelay))
            .Uid("nexmark-source");
        query.Build(source, sinks);
        return env;
    }

    /// <summary>Runs one job to its end and returns its figures.</summary>
    public async Task<RunFigures> RunAsync(NexmarkSettings settings, long events, bool checkpoints, IResultSinks sinks, Func<long> rows)
    {
        var probe = new ThroughputProbe(events);
        var jobId = $"nexmark-{settings.Query.Name}-{++_jobs}";
        var graph = Job(settings.Query, settings.Generator, events, settings.Parallelism, settings.Partitions, sinks, probe).Build(jobId);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var job = await SubmitAsync(graph, checkpoints ? settings.CheckpointInterval : null, settings.Incremental && checkpoints, settings.Unaligned && checkpoints, settings.AlignedCheckpointTimeout, settings.SnapshotWriteThreads);
        var status = await job.WaitForTerminationAsync();
        var jobSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (status.State != JobState.Finished)
        {
            throw new InvalidOperationException($"Job {jobId} ended {status.State}: {status.FailureCause}");
        }

        var measured = probe.Measured ?? throw new InvalidOperationException($"Job {jobId} finished but its source never passed 90% of {events} events ({probe.Emitted} emitted).");
        var completions = _log.DrainCompletions().Where(c => c.JobId == jobId).ToArray();
        var steady = completions.Where(c => c.TriggeredAt >= measured.Start.Timestamp && c.TriggeredAt <= measured.End.Timestamp).ToArray();
        var enabled = checkpoints && settings.CheckpointInterval is not null;
        return RunFigures.Of(
            "weir",
            enabled,
            measured,
            settings.Parallelism,
            jobSeconds,
            rows(),
            enabled ? CheckpointFigures.Of(steady, status.Checkpoints.Failed) : null,
            enabled ? CheckpointFigures.Of(status.Checkpoints) : null);
    }

    /// <summary>Submits <paramref name="graph"/> as the job of its name, checkpointing to the runner's directory every <paramref name="interval"/> (null: off).</summary>
    public Task<JobHandle> SubmitAsync(JobGraph graph, TimeSpan? interval, bool incremental, bool unaligned, TimeSpan alignedCheckpointTimeout = default, int? snapshotWriteThreads = null) =>
        _host.Services.GetRequiredService<WeirJobClient>().SubmitAsync(graph, new JobSubmitOptions(graph.Name, WeirOptions.Default.With(
        [
            ("execution.checkpointing.dir", _checkpointDirectory),
            ("execution.checkpointing.interval", interval is { } every ? FlinkDuration.Format(every) : "0"),
            ("execution.checkpointing.incremental", incremental ? "true" : "false"),
            ("execution.checkpointing.unaligned.enabled", unaligned ? "true" : "false"),
            ("execution.checkpointing.aligned-checkpoint-timeout", FlinkDuration.Format(alignedCheckpointTimeout)),
            .. snapshotWriteThreads is { } threads ? [("state.backend.snapshot.write-threads", threads.ToString(CultureInfo.InvariantCulture))] : Array.Empty<(string, string)>(),
        ])));

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        try
        {
            Directory.Delete(_checkpointDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>What one run measured (between 10% and 90% of its events).</summary>
internal sealed record RunFigures(
    string Mode,
    bool CheckpointsEnabled,
    long Events,
    double Seconds,
    double EventsPerSecond,
    double EventsPerSecondPerCore,
    double EventsPerCpuSecond,
    double CoresUsed,
    double AllocatedBytesPerEvent,
    int Gen0Collections,
    int Gen1Collections,
    int Gen2Collections,
    double GcPauseMs,
    double JobSeconds,
    long Rows,
    CheckpointFigures? Checkpoints,
    CheckpointFigures? JobCheckpoints,
    double MeasuredFromMonotonicSeconds,
    double MeasuredToMonotonicSeconds)
{
    /// <summary>The divisor of <see cref="EventsPerSecondPerCore"/>: min(parallelism, processors).</summary>
    public static int Cores(int parallelism) => Math.Min(parallelism, Environment.ProcessorCount);

    /// <summary>
    /// The figures of <paramref name="measured"/>; <paramref name="checkpointStats"/> are the checkpoints
    /// triggered within it, <paramref name="jobCheckpoints"/> all the job's, including the final one
    /// after end of input (which waits for the windows that end of input fires).
    /// </summary>
    public static RunFigures Of(string mode, bool checkpoints, ThroughputProbe.Interval measured, int parallelism, double jobSeconds, long rows, CheckpointFigures? checkpointStats, CheckpointFigures? jobCheckpoints = null)
    {
        var perSecond = measured.Events / measured.Seconds;
        var (gen0, gen1, gen2) = measured.Collections;
        return new RunFigures(
            mode,
            checkpoints,
            measured.Events,
            measured.Seconds,
            perSecond,
            perSecond / Cores(parallelism),
            measured.Events / measured.CpuSeconds,
            measured.CpuSeconds / measured.Seconds,
            measured.AllocatedBytesPerEvent,
            gen0,
            gen1,
            gen2,
            measured.GcPauseMs,
            jobSeconds,
            rows,
            checkpointStats,
            jobCheckpoints,
            Monotonic(measured.Start.Timestamp),
            Monotonic(measured.End.Timestamp));
    }

    /// <summary>
    /// A <see cref="System.Diagnostics.Stopwatch"/> timestamp in seconds: on Linux the CLOCK_MONOTONIC
    /// that <c>perf record -k CLOCK_MONOTONIC</c> stamps samples with, so <c>perf report --time from,to</c>
    /// can keep exactly the measured part of a run.
    /// </summary>
    private static double Monotonic(long timestamp) => (double)timestamp / System.Diagnostics.Stopwatch.Frequency;
}

/// <summary>
/// Checkpoints' count, duration percentiles (trigger to completion, as the coordinator measures
/// them; rank ceil(p n), as its statistics do) and state size (bytes a checkpoint references).
/// </summary>
internal sealed record CheckpointFigures(int Completed, int Failed, double? P50Ms, double? P99Ms, double? MaxMs, long BytesTotal, long? BytesPerCheckpoint, int? WithRecordsInFlight = null)
{
    /// <summary>All of a job's checkpoints, as its status reports them.</summary>
    public static CheckpointFigures Of(CheckpointStats stats) => new(
        stats.Completed,
        stats.Failed,
        stats.DurationP50Ms,
        stats.DurationP99Ms,
        null,
        stats.TotalStateSize,
        stats.Completed == 0 ? null : stats.TotalStateSize / stats.Completed,
        stats.CompletedWithRecordsInFlight);

    /// <summary>The given completions.</summary>
    public static CheckpointFigures Of(IReadOnlyList<CheckpointLog.Completion> completions, int failed)
    {
        var sorted = completions.Select(c => c.DurationMs).Order().ToArray();
        var bytes = completions.Sum(c => c.StateSize);
        return new CheckpointFigures(
            sorted.Length,
            failed,
            Percentile(sorted, 0.5),
            Percentile(sorted, 0.99),
            sorted.Length == 0 ? null : sorted[^1],
            bytes,
            sorted.Length == 0 ? null : bytes / sorted.Length);
    }

    private static double? Percentile(double[] sorted, double p) => sorted.Length == 0 ? null : Quantiles.Percentile(sorted, p);
}
