using System.Collections.Concurrent;
using Weir.Checkpointing.Configuration;
using Weir.Streaming.Graph;

namespace Weir.Hosting.Jobs;

/// <summary>A job as submitted: its graph, its options, and where to restore from.</summary>
public sealed record JobSubmission(string JobId, JobGraph Graph, WeirOptions Options, string? RestorePath);

/// <summary>
/// The silo's submitted jobs by id. Job graphs hold user code (delegates), so they are handed to
/// the job's grains by reference through this registry rather than inside grain calls.
/// </summary>
public sealed class JobRegistry
{
    private readonly ConcurrentDictionary<string, JobSubmission> _jobs = new(StringComparer.Ordinal);

    /// <summary>Registers a submission, replacing an earlier one with the same id.</summary>
    public void Register(JobSubmission submission) => _jobs[submission.JobId] = submission;

    /// <summary>The submission of <paramref name="jobId"/>.</summary>
    /// <exception cref="InvalidOperationException">No job with that id was submitted to this silo.</exception>
    public JobSubmission Get(string jobId) => _jobs.TryGetValue(jobId, out var job)
        ? job
        : throw new InvalidOperationException($"No job '{jobId}' was submitted to this silo.");
}
