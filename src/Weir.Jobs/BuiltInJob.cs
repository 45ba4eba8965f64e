using Weir.Checkpointing.Configuration;
using Weir.Hosting;
using Weir.Hosting.Grains;
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
public sealed record JobParameters(int? Parallelism = null, double? RecordsPerSecond = null, TimeSpan? FailEvery = null, int Seed = 42, int? Partitions = null);

/// <summary>What a job's report may use.</summary>
public sealed record JobReportContext(JobStatus Status, Weir.Checkpointing.Coordinator.CompletedCheckpoint? FinalCheckpoint, Weir.Storage.ICheckpointStore Store, CheckpointingMode Mode);

/// <summary>The built-in jobs.</summary>
public static class JobCatalog
{
    /// <summary>Every built-in job, by name.</summary>
    public static IReadOnlyList<BuiltInJob> All { get; } = [new WordCountJob(), new ExactlyOnceCheckJob(), new HotItemsJob()];

    /// <summary>The job named <paramref name="name"/>, or null.</summary>
    public static BuiltInJob? Find(string name) => All.FirstOrDefault(j => string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The list printed for an unknown job name.</summary>
    public static string Describe() => string.Join(Environment.NewLine, All.Select(j => $"  {j.Name,-20} {j.Description}"));
}
