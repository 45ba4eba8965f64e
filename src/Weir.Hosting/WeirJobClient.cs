using Weir.Checkpointing.Configuration;
using Weir.Grains;
using Weir.Hosting.Grains;
using Weir.Hosting.Jobs;
using Weir.Streaming.Graph;

namespace Weir.Hosting;

/// <summary>Submits jobs to the local silo and follows them.</summary>
public sealed class WeirJobClient(IGrainFactory grains, JobRegistry jobs, WeirOptions defaults)
{
    /// <summary>
    /// Submits a job: its id is <see cref="JobSubmitOptions.JobId"/> or the job's name; its
    /// checkpoints go to <c>&lt;execution.checkpointing.dir&gt;/&lt;job id&gt;</c>.
    /// </summary>
    public async Task<JobHandle> SubmitAsync(JobGraph graph, JobSubmitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var jobId = options?.JobId ?? graph.Name;
        JobSpec.ValidateId(jobId, nameof(options));

        jobs.Register(new JobSubmission(jobId, graph, options?.Options ?? defaults, options?.RestorePath));
        await grains.GetGrain<IJobMasterGrain>(jobId).StartAsync();
        return new JobHandle(jobId, grains);
    }

    /// <summary>Submits a job by name (a registered job factory builds it, on every silo that runs a part of it).</summary>
    public async Task<JobHandle> SubmitAsync(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await grains.GetGrain<IJobMasterGrain>(spec.JobId).SubmitAsync(spec);
        return new JobHandle(spec.JobId, grains);
    }
}

/// <summary>How to submit a job.</summary>
public sealed record JobSubmitOptions(string? JobId = null, WeirOptions? Options = null, string? RestorePath = null);

/// <summary>A submitted job.</summary>
public sealed class JobHandle(string jobId, IGrainFactory grains)
{
    /// <summary>The job's id.</summary>
    public string JobId { get; } = jobId;

    private IJobMasterGrain Master => grains.GetGrain<IJobMasterGrain>(JobId);

    /// <summary>The job's state and figures.</summary>
    public Task<JobStatus> GetStatusAsync() => Master.GetStatusAsync();

    /// <summary>Cancels the job (retention policy applies).</summary>
    public Task CancelAsync() => Master.CancelAsync();

    /// <summary>Stops the job with a savepoint, cancels it, and returns its report.</summary>
    public Task<JobReport> StopAsync() => Master.StopAsync();

    /// <summary>
    /// Polls until the job is finished, cancelled or failed, and returns its status then. The polls ask
    /// the job master for the state alone: a full status asks every subtask for its figures, so a poll
    /// would wait for the longest turn of any of them (a window firing every key's timer, on a loaded
    /// machine, outlasted a call's 30 s timeout), and it would interrupt every subtask 20 times a second.
    /// </summary>
    public async Task<JobStatus> WaitForTerminationAsync(CancellationToken cancellationToken = default)
    {
        while (!JobStatus.IsTerminalState(await Master.GetStateAsync()))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }

        return await GetStatusAsync();
    }
}
