using Weir.Checkpointing.Configuration;
using Weir.Checkpointing.Coordinator;
using Weir.Storage;
using Weir.Streaming.Graph;

namespace Weir.Hosting.Jobs;

/// <summary>
/// A job described by name instead of by graph, so every silo of a cluster can build the same
/// graph (graphs hold user code, which does not travel): the name of a job factory registered on
/// every silo, its parameters, configuration overrides, and where to restore from. Also what the
/// job master persists, so that a job master re-activated on another silo can take the job over.
/// </summary>
public sealed record JobSpec(
    string JobId,
    string JobName,
    IReadOnlyDictionary<string, string> Parameters,
    IReadOnlyList<KeyValuePair<string, string>> Settings,
    string? RestorePath)
{
    /// <summary>The silo's options with this job's overrides.</summary>
    public WeirOptions Apply(WeirOptions defaults) =>
        Settings.Count == 0 ? defaults : defaults.With(Settings.Select(s => (s.Key, s.Value)).ToArray());

    /// <summary>
    /// Checks a job id: it names the job's directory under the checkpoint root, so it must be one
    /// storage path segment (non-empty, no '/', no '.' or '..', no characters storage refuses).
    /// </summary>
    public static void ValidateId(string jobId, string paramName)
    {
        ArgumentNullException.ThrowIfNull(jobId, paramName);
        StoragePath.Validate(jobId);
        if (jobId.Contains('/'))
        {
            throw new ArgumentException($"Job id '{jobId}' is not valid: it names one directory, so it must not contain '/'.", paramName);
        }
    }
}

/// <summary>
/// Builds jobs by name (register one per job on every silo of a cluster, as Flink needs a job's
/// code on every task manager), and reports on a job when it stops.
/// </summary>
public interface IJobFactory
{
    /// <summary>The job name specs use.</summary>
    string Name { get; }

    /// <summary>Builds the graph of <paramref name="spec"/> with the effective <paramref name="options"/>.</summary>
    JobGraph Build(JobSpec spec, WeirOptions options);

    /// <summary>The job's report when it stops: lines to print and the exit code of whoever ran it.</summary>
    Task<JobReport> ReportAsync(JobReportContext context);
}

/// <summary>What a report may use: the job's final status, the checkpoint (savepoint) taken at stop, its store.</summary>
public sealed record JobReportContext(Grains.JobStatus Status, CompletedCheckpoint? FinalCheckpoint, ICheckpointStore Store, CheckpointingMode Mode);

/// <summary>A job's report: lines to print and an exit code (0: the job did what it should).</summary>
public sealed record JobReport(IReadOnlyList<string> Lines, int ExitCode);
