using System.Collections.Concurrent;
using System.Globalization;
using Weir.Checkpointing.Configuration;
using Weir.Hosting;
using Weir.Hosting.Jobs;
using Weir.Streaming.Graph;

namespace Weir.Jobs;

/// <summary>A job shipped with Weir, runnable by name (<c>--job &lt;name&gt;</c>).</summary>
public abstract class BuiltInJob
{
    /// <summary>The name on the command line.</summary>
    public abstract string Name { get; }

    /// <summary>One line for the job list.</summary>
    public abstract string Description { get; }

    /// <summary>Settings this job needs unless the user set them (e.g. a restart strategy for failure injection).</summary>
    public virtual IEnumerable<(string Key, string Value)> DefaultSettings(JobParameters parameters) => [];

    /// <summary>Builds one run of the job: its graph and what goes with it.</summary>
    public abstract JobRun Create(JobParameters parameters, WeirOptions options);
}

/// <summary>One run of a built-in job: its graph, anything started beside it, and its report.</summary>
public class JobRun(JobGraph graph)
{
    /// <summary>The job graph to submit.</summary>
    public JobGraph Graph { get; } = graph;

    /// <summary>Starts anything the job needs besides its graph (e.g. failure injection); disposed when the job ends.</summary>
    public virtual IAsyncDisposable? Start(JobHandle job, TimeProvider clock) => null;

    /// <summary>
    /// Called when the job stopped after <c>--run-for</c>: prints the job's own report and returns
    /// the process exit code. The context holds the checkpoint taken at stop.
    /// </summary>
    public virtual Task<int> ReportAsync(JobReportContext context, TextWriter output) => Task.FromResult(0);
}

/// <summary>Job parameters from the command line.</summary>
public sealed record JobParameters(int? Parallelism = null, double? RecordsPerSecond = null, TimeSpan? FailEvery = null, int Seed = 42, int? Partitions = null)
{
    /// <summary>The parameters as a job spec carries them.</summary>
    public IReadOnlyDictionary<string, string> ToDictionary()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["seed"] = Seed.ToString(CultureInfo.InvariantCulture) };
        if (Parallelism is { } parallelism)
        {
            values["parallelism"] = parallelism.ToString(CultureInfo.InvariantCulture);
        }

        if (RecordsPerSecond is { } rate)
        {
            values["rate"] = rate.ToString("R", CultureInfo.InvariantCulture);
        }

        if (Partitions is { } partitions)
        {
            values["partitions"] = partitions.ToString(CultureInfo.InvariantCulture);
        }

        if (FailEvery is { } failEvery)
        {
            values["fail-every"] = FlinkDuration.Format(failEvery);
        }

        return values;
    }

    /// <summary>The parameters a job spec carries.</summary>
    /// <exception cref="ArgumentException">A key is unknown or a value malformed; the message names it and what is allowed.</exception>
    public static JobParameters From(IReadOnlyDictionary<string, string> values)
    {
        string[] known = ["parallelism", "rate", "fail-every", "seed", "partitions"];
        if (values.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        {
            throw new ArgumentException($"Job parameter '{unknown}' is unknown; the parameters are {string.Join(", ", known)}.", nameof(values));
        }

        int? Integer(string key) => !values.TryGetValue(key, out var text) ? null
            : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value
            : throw new ArgumentException($"Job parameter {key} = '{text}' is not a whole number.", nameof(values));

        return new(
            Integer("parallelism"),
            !values.TryGetValue("rate", out var r) ? null
                : double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) ? rate
                : throw new ArgumentException($"Job parameter rate = '{r}' is not a number.", nameof(values)),
            !values.TryGetValue("fail-every", out var f) ? null
                : FlinkDuration.TryParse(f, out var every) ? every
                : throw new ArgumentException($"Job parameter fail-every = '{f}' is not a duration such as 500ms or 30s.", nameof(values)),
            Integer("seed") ?? 42,
            Integer("partitions"));
    }
}

/// <summary>
/// A built-in job as a job factory, so a cluster builds it on every silo from its spec. The run
/// this silo built last for a job id gives the report.
/// </summary>
public sealed class BuiltInJobFactory(BuiltInJob job) : IJobFactory
{
    private readonly ConcurrentDictionary<string, JobRun> _runs = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Name => job.Name;

    /// <inheritdoc />
    public JobGraph Build(JobSpec spec, WeirOptions options)
    {
        var run = job.Create(JobParameters.From(spec.Parameters), options);
        _runs[spec.JobId] = run;
        return run.Graph;
    }

    /// <summary>The run this silo built last for <paramref name="jobId"/>, if any (to start what goes beside its graph).</summary>
    public JobRun? RunOf(string jobId) => _runs.GetValueOrDefault(jobId);

    /// <inheritdoc />
    public async Task<JobReport> ReportAsync(JobReportContext context)
    {
        if (!_runs.TryGetValue(context.Status.JobId, out var run))
        {
            return new JobReport([], 0);
        }

        using var output = new StringWriter(CultureInfo.InvariantCulture);
        var exitCode = await run.ReportAsync(context, output);
        return new JobReport(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), exitCode);
    }
}

/// <summary>The built-in jobs.</summary>
public static class JobCatalog
{
    /// <summary>Every built-in job, by name.</summary>
    public static IReadOnlyList<BuiltInJob> All { get; } = [new WordCountJob(), new ExactlyOnceCheckJob(), new HotItemsJob()];

    /// <summary>The job named <paramref name="name"/>, or null.</summary>
    public static BuiltInJob? Find(string name) => All.FirstOrDefault(j => string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every built-in job as a job factory (register them on every silo of a cluster).</summary>
    public static IEnumerable<IJobFactory> Factories() => All.Select(j => new BuiltInJobFactory(j));

    /// <summary>The list printed for an unknown job name.</summary>
    public static string Describe() => string.Join(Environment.NewLine, All.Select(j => $"  {j.Name,-20} {j.Description}"));
}
