using System.Collections.Concurrent;
using Weir.Checkpointing.Configuration;
using Weir.Hosting.Storage;
using Weir.Streaming.Graph;

namespace Weir.Hosting.Jobs;

/// <summary>A job as submitted: its graph, its options, where to restore from, and its spec if it was submitted by name.</summary>
public sealed record JobSubmission(string JobId, JobGraph Graph, WeirOptions Options, string? RestorePath, JobSpec? Spec = null);

/// <summary>
/// The silo's jobs by id. A job submitted here as a graph is handed to its grains by reference;
/// a job submitted by name anywhere in the cluster is built here from its spec (persisted by its
/// job master under the checkpoint directory) with the job factory of that name. A job id can be
/// submitted again, with another spec, through any silo: a spec built here is checked against the
/// job's record once per attempt (the job master records each attempt before deploying it), so a
/// subtask never runs the graph of an earlier submission.
/// </summary>
public sealed class JobRegistry(IEnumerable<IJobFactory> factories, ICheckpointStoreFactory stores, WeirOptions defaults)
{
    private readonly ConcurrentDictionary<string, Entry> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string JobId, int? Attempt), Lazy<Task<JobSubmission>>> _checks = new();
    private readonly Dictionary<string, IJobFactory> _factories = factories.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The silo's default options (the cluster's configuration).</summary>
    public WeirOptions Defaults => defaults;

    /// <summary>Registers a submission, replacing an earlier one with the same id.</summary>
    public void Register(JobSubmission submission) => _jobs[submission.JobId] = new Entry(submission, CheckedAttempt: null);

    /// <summary>Builds and registers a job from its spec.</summary>
    /// <exception cref="ArgumentException">No job factory has the spec's name; the message lists the ones there are.</exception>
    public JobSubmission Register(JobSpec spec)
    {
        var submission = Build(spec);
        Register(submission);
        return submission;
    }

    /// <summary>The factory of <paramref name="jobName"/>.</summary>
    /// <exception cref="ArgumentException">There is none; the message lists the registered names.</exception>
    public IJobFactory Factory(string jobName) => _factories.TryGetValue(jobName, out var factory)
        ? factory
        : throw new ArgumentException($"No job named '{jobName}' is registered on this silo (registered: {(_factories.Count == 0 ? "none" : string.Join(", ", _factories.Keys.Order()))}).", nameof(jobName));

    /// <summary>
    /// The submission of <paramref name="jobId"/>, built from its persisted spec if this silo has not
    /// seen it. With <paramref name="attempt"/> (a subtask deploying), a submission built from a spec
    /// is first checked against the job's record, once per attempt, and rebuilt if the job was
    /// submitted again with another spec.
    /// </summary>
    /// <exception cref="InvalidOperationException">No job with that id is known here or in the checkpoint directory.</exception>
    public async Task<JobSubmission> GetAsync(string jobId, int? attempt = null)
    {
        if (_jobs.TryGetValue(jobId, out var entry) && (entry.Submission.Spec is null || attempt is null || entry.CheckedAttempt == attempt))
        {
            return entry.Submission;
        }

        // Every subtask of an attempt deploying here asks at once: one read of the record serves them all.
        var key = (jobId, attempt);
        var check = _checks.GetOrAdd(key, static (key, registry) => new Lazy<Task<JobSubmission>>(() => registry.CheckAsync(key.JobId)), this);
        try
        {
            return await check.Value;
        }
        finally
        {
            _checks.TryRemove(KeyValuePair.Create(key, check));
        }
    }

    /// <summary>Reads the job's record and builds its spec, unless the submission here was built from the same spec.</summary>
    private async Task<JobSubmission> CheckAsync(string jobId)
    {
        var record = await JobSpecStore.LoadAsync(stores.Open(defaults.Checkpointing.Directory), jobId);
        _jobs.TryGetValue(jobId, out var entry);
        if (record is null)
        {
            return entry?.Submission
                ?? throw new InvalidOperationException($"No job '{jobId}' was submitted to this silo, and {defaults.Checkpointing.Directory}/{jobId} holds no job spec.");
        }

        var submission = entry?.Submission.Spec is { } spec && SameSpec(spec, record.Spec) ? entry.Submission : Build(record.Spec);
        _jobs[jobId] = new Entry(submission, record.Attempt);
        return submission;
    }

    private JobSubmission Build(JobSpec spec)
    {
        var options = spec.Apply(defaults);
        return new JobSubmission(spec.JobId, Factory(spec.JobName).Build(spec, options), options, spec.RestorePath, spec);
    }

    /// <summary>Specs are records of collections, so compared field by field (parameters as a set, settings in order).</summary>
    private static bool SameSpec(JobSpec a, JobSpec b) =>
        a.JobId == b.JobId
        && a.JobName == b.JobName
        && a.RestorePath == b.RestorePath
        && a.Parameters.Count == b.Parameters.Count
        && a.Parameters.All(p => b.Parameters.TryGetValue(p.Key, out var value) && value == p.Value)
        && a.Settings.SequenceEqual(b.Settings);

    /// <summary>A submission, and the attempt whose record it was last checked against (null: not checked, or a graph).</summary>
    private sealed record Entry(JobSubmission Submission, int? CheckedAttempt);
}
