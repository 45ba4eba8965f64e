using System.Globalization;
using System.Runtime;
using System.Text.Json;
using System.Text.Json.Serialization;
using Weir.Benchmarks.Nexmark.Generator;
using Weir.Benchmarks.Nexmark.Output;
using Weir.Benchmarks.Nexmark.Queries;
using Weir.Benchmarks.Nexmark.Running;
using Weir.Checkpointing.Configuration;

namespace Weir.Benchmarks.Nexmark;

/// <summary>
/// <c>nexmark</c>: one Nexmark query as a Weir job on an in-process silo, timed from inside its
/// sources between 10% and 90% of the events (see <see cref="ThroughputProbe"/>). Optionally, in the
/// same process and alternating order: the same run with checkpoints off (<c>--compare-off</c>) and
/// the generator alone into a blackhole (<c>--with-baseline</c>); or only the baseline
/// (<c>--baseline</c>). Writes a JSON summary (medians over <c>--runs</c>, and every run).
/// Events per second per core divide by min(parallelism, processors); events per CPU second divide
/// by the CPU time the whole process used, which other processes on a shared machine do not inflate.
/// </summary>
internal sealed class NexmarkCommand : IBenchCommand
{
    /// <summary>The longest checkpoint interval of the warm-up run.</summary>
    private static readonly TimeSpan WarmupCheckpointInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>A warm-up run compiling fewer methods than this ends the warm-up.</summary>
    private const long QuietJitMethods = 400;

    private const int MaxWarmups = 3;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string Name => "nexmark";

    public string Description => "a Nexmark query on Weir (--query q1 --events 50M --parallelism 2 --checkpoint-interval 1s --json <file>)";

    public async Task<int> RunAsync(string[] args)
    {
        var settings = NexmarkSettings.Parse(args, Console.Error);
        if (settings is null)
        {
            return 2;
        }

        var config = settings.Generator;
        if (settings.DumpEventsPath is { } dump)
        {
            EventJson.Dump(new NexmarkGenerator(config), settings.Events, dump);
            Console.WriteLine($"wrote {settings.Events:N0} events to {dump}");
        }

        var interval = settings.CheckpointInterval is { } i ? FlinkDuration.Format(i) : "off";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"nexmark {settings.Query.Name} ({settings.Query.Description}): {settings.Events:N0} events, parallelism {settings.Parallelism}, {settings.Partitions} partitions, event time {settings.EventRate:N0} events/s, checkpoints {interval}{(settings.Incremental ? " (incremental)" : string.Empty)}{(settings.Unaligned ? settings.AlignedCheckpointTimeout > TimeSpan.Zero ? $" (unaligned after {FlinkDuration.Format(settings.AlignedCheckpointTimeout)})" : " (unaligned)" : string.Empty)}{(settings.SnapshotWriteThreads is { } threads ? $", snapshot write threads {threads}" : string.Empty)}, {Environment.ProcessorCount} processors"));

        var runs = new List<RunFigures>();
        if (settings.BaselineOnly)
        {
            BaselineRunner.Run(config, settings.WarmupEvents, settings.Parallelism, settings.Partitions);
            for (var run = 0; run < settings.Runs; run++)
            {
                runs.Add(Print(run, BaselineRunner.Run(config, settings.Events, settings.Parallelism, settings.Partitions)));
            }

            Write(settings, Summary.Of(settings, runs));
            return 0;
        }

        await using var runner = await WeirRunner.StartAsync(settings.ChannelCapacity, settings.Verbose);
        using var sampler = settings.Allocations ? new AllocationSampler() : null;
        if (settings.WarmupEvents > 0)
        {
            // Checkpoint code runs once per checkpoint (per key group, per state), and the JIT optimizes a method
            // only after some 30 calls, counted once it has stopped compiling new code for a while. So the warm-up
            // checkpoints at least every 100 ms, and runs again (at most three times) until a run compiles few
            // methods: measured runs with checkpoints then do not pay for compiling their code, as a silo running
            // for hours does not. Without this the first measured run compiled some 1,600 methods (q8).
            var warmupSettings = settings.CheckpointInterval is { } every && every > WarmupCheckpointInterval
                ? settings with { CheckpointInterval = WarmupCheckpointInterval }
                : settings;
            for (var warmups = 1; ; warmups++)
            {
                var warmup = new CountingResultSinks();
                var compiledBefore = JitInfo.GetCompiledMethodCount();
                Print(-1, await runner.RunAsync(warmupSettings, settings.WarmupEvents, checkpoints: true, warmup, () => warmup.Rows), sampler);
                var compiled = JitInfo.GetCompiledMethodCount() - compiledBefore;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  warm-up {warmups}: {compiled:N0} methods compiled"));
                runner.DrainLog();
                if (compiled < QuietJitMethods || warmups == MaxWarmups)
                {
                    break;
                }
            }
        }

        for (var run = 0; run < settings.Runs; run++)
        {
            // Alternate the order, so drift (a neighbour's load, GC) does not favour one side.
            var offFirst = run % 2 == 1;
            if (settings.CompareOff && offFirst)
            {
                runs.Add(Print(run, await RunWeirAsync(runner, settings, checkpoints: false), sampler));
            }

            runs.Add(Print(run, await RunWeirAsync(runner, settings, checkpoints: true), sampler));
            if (settings.CompareOff && !offFirst)
            {
                runs.Add(Print(run, await RunWeirAsync(runner, settings, checkpoints: false), sampler));
            }

            if (settings.WithBaseline)
            {
                runs.Add(Print(run, BaselineRunner.Run(config, settings.Events, settings.Parallelism, settings.Partitions)));
            }
        }

        Write(settings, Summary.Of(settings, runs));
        return 0;
    }

    private static async Task<RunFigures> RunWeirAsync(WeirRunner runner, NexmarkSettings settings, bool checkpoints)
    {
        try
        {
            return await RunWeirOnceAsync(runner, settings, checkpoints);
        }
        finally
        {
            foreach (var line in runner.DrainLog())
            {
                Console.WriteLine("  " + line);
            }
        }
    }

    private static async Task<RunFigures> RunWeirOnceAsync(WeirRunner runner, NexmarkSettings settings, bool checkpoints)
    {
        if (settings.OutputPath is { } path && checkpoints)
        {
            var sinks = new JsonLinesResultSinks(path);
            try
            {
                return await runner.RunAsync(settings, settings.Events, checkpoints, sinks, () => sinks.Rows);
            }
            finally
            {
                sinks.Close();
            }
        }

        var counting = new CountingResultSinks();
        return await runner.RunAsync(settings, settings.Events, checkpoints, counting, () => counting.Rows);
    }

    private static RunFigures Print(int run, RunFigures figures, AllocationSampler? sampler = null)
    {
        var label = run < 0 ? "warm-up" : $"run {run}";
        var what = figures.Mode == "baseline" ? "baseline" : figures.CheckpointsEnabled ? "checkpoints on " : "checkpoints off";
        var checkpoints = figures.Checkpoints is { } c
            ? (c.Completed == 0
                ? "; no checkpoint completed while measured"
                : string.Create(CultureInfo.InvariantCulture, $"; {c.Completed} checkpoints while measured, p50 {c.P50Ms:0} ms, p99 {c.P99Ms:0} ms, {c.BytesPerCheckpoint / 1024.0:0.0} KiB each")) +
              (figures.JobCheckpoints is { Completed: > 0 } j ? string.Create(CultureInfo.InvariantCulture, $" (job: {j.Completed}{(j.WithRecordsInFlight is > 0 ? $", {j.WithRecordsInFlight} with records in flight" : string.Empty)}, p50 {j.P50Ms:0} ms, p99 {j.P99Ms:0} ms)") : string.Empty)
            : string.Empty;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{label} {what}: {figures.EventsPerSecond:N0} events/s ({figures.EventsPerSecondPerCore:N0}/core, {figures.EventsPerCpuSecond:N0}/CPU-s, {figures.CoresUsed:0.00} cores), {figures.AllocatedBytesPerEvent:0.0} B/event, GCs {figures.Gen0Collections}/{figures.Gen1Collections}/{figures.Gen2Collections} (paused {figures.GcPauseMs:0} ms), {figures.Rows:N0} rows, job {figures.JobSeconds:0.00} s{checkpoints}; measured (monotonic s) {figures.MeasuredFromMonotonicSeconds:0.000000},{figures.MeasuredToMonotonicSeconds:0.000000}"));
        if (sampler is not null)
        {
            var (top, total) = sampler.Between(figures.MeasuredFromMonotonicSeconds, figures.MeasuredToMonotonicSeconds, top: 12);
            foreach (var (type, bytes) in top)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {bytes / (double)figures.Events,7:0.0} B/event {100.0 * bytes / Math.Max(1, total),5:0.0} %  {type}"));
            }
        }

        return figures;
    }

    private static void Write(NexmarkSettings settings, Summary summary)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(settings.JsonPath));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(settings.JsonPath, JsonSerializer.Serialize(summary, Json));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median: {summary.EventsPerSecond:N0} events/s, {summary.EventsPerSecondPerCore:N0}/core, {summary.EventsPerCpuSecond:N0}/CPU-s") +
            (summary.CheckpointsOnOffRatio is { } onOff ? string.Create(CultureInfo.InvariantCulture, $"; checkpoints on/off {onOff:0.000} (CPU {summary.CheckpointsOnOffCpuRatio:0.000})") : string.Empty) +
            (summary.BaselineRatio is { } baseline ? string.Create(CultureInfo.InvariantCulture, $"; Weir/baseline {baseline:0.000} (CPU {summary.BaselineCpuRatio:0.000})") : string.Empty) +
            (summary.CheckpointP99Ms is { } p99 ? string.Create(CultureInfo.InvariantCulture, $"; checkpoint p50 {summary.CheckpointP50Ms:0} ms, p99 {p99:0} ms") : string.Empty));
        Console.WriteLine($"wrote {settings.JsonPath}");
    }
}
