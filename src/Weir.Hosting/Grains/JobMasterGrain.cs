using Microsoft.Extensions.Logging;
using Weir.Checkpointing.Configuration;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Checkpointing.Restart;
using Weir.Grains;
using Weir.Hosting.Channels;
using Weir.Hosting.Jobs;
using Weir.Hosting.Storage;
using Weir.Storage;
using Weir.Streaming.Graph;
using Weir.Streaming.Tasks;

namespace Weir.Hosting.Grains;

/// <summary>
/// The job master: runs a job as a sequence of attempts.
/// <list type="number">
/// <item>Start: resolve what to restore (<c>--restore</c> path or <c>latest</c>), check it fits
/// the job, deploy attempt 0, start the coordinator.</item>
/// <item>A subtask fails (or the coordinator gives up on checkpoints): stop the coordinator
/// (pending checkpoints abort), cancel every subtask of the attempt (in-flight records are
/// dropped with its channels), ask the restart strategy; after its backoff, deploy the next
/// attempt from the latest completed checkpoint, or fail the job with the cause.</item>
/// <item>Every subtask finished, or the user cancels: end the job and apply the retention policy.</item>
/// </list>
/// </summary>
internal sealed partial class JobMasterGrain(
    JobRegistry jobs,
    ChannelRegistry channels,
    ICheckpointStoreFactory stores,
    ILogger<JobMasterGrain> logger) : Grain, IJobMasterGrain
{
    private JobSubmission? _job;
    private JobState _state = JobState.Created;
    private IRestartBackoffTimeStrategy? _restartStrategy;
    private int _attempt = -1;
    private int _restarts;
    private string? _failureCause;
    private long _firstCheckpointId = 1;
    private (CompletedCheckpoint Checkpoint, string StoreRoot)? _initialRestore;
    private long? _restoredCheckpointId;
    private HashSet<TaskKey> _finished = [];

    private string JobId => GetPrimaryKeyString();

    private JobGraph Graph => _job!.Graph;

    private WeirOptions Options => _job!.Options;

    private ICheckpointCoordinatorGrain Coordinator => GrainFactory.GetGrain<ICheckpointCoordinatorGrain>(JobId);

    public async Task StartAsync()
    {
        if (_state is JobState.Running or JobState.Restarting)
        {
            throw new InvalidOperationException($"Job '{JobId}' is already running (it is {_state}); cancel it before submitting it again.");
        }

        _job = jobs.Get(JobId);
        _restarts = 0;
        _failureCause = null;
        _restoredCheckpointId = null;
        DelayDeactivation(Timeout.InfiniteTimeSpan);
        _restartStrategy = RestartStrategies.Create(Options.RestartStrategy, TimeProvider, new Random(JobId.GetHashCode(StringComparison.Ordinal)));
        var store = stores.Open(Options.Checkpointing.Directory);

        _initialRestore = await ResolveRestoreAsync(store);
        if (_initialRestore is { } restore)
        {
            StateAssignment.Validate(restore.Checkpoint.Metadata, $"{restore.StoreRoot}/{restore.Checkpoint.MetadataPath}", Graph.Operators);
            _restoredCheckpointId = restore.Checkpoint.CheckpointId;
            Log.Restoring(logger, JobId, restore.Checkpoint.CheckpointId, restore.StoreRoot);
        }

        var existing = await CheckpointLocator.ListCheckpointIdsAsync(store, JobId);
        _firstCheckpointId = Math.Max(existing.Count == 0 ? 1 : existing[0] + 1, (_initialRestore?.Checkpoint.CheckpointId ?? 0) + 1);
        await DeployAttemptAsync(0, _initialRestore);
    }

    public async Task CancelAsync()
    {
        if (_state is JobState.Created || IsTerminal)
        {
            return;
        }

        _state = JobState.Canceled;
        await CancelAttemptAsync();
        await Coordinator.OnJobTerminatedAsync(DiscardOn(JobState.Canceled));
        Log.Ended(logger, JobId, _state, string.Empty);
    }

    public async Task<JobStatus> GetStatusAsync()
    {
        long sourceRecords = 0, recordsIn = 0;
        if (_job is not null && _state is JobState.Running or JobState.Restarting)
        {
            var metrics = await Task.WhenAll(Graph.Tasks().Select(t => Subtask(t).GetMetricsAsync()));
            foreach (var m in metrics.Where(m => m.Attempt == _attempt))
            {
                if (Graph.Vertex(m.Task.VertexId).IsSource)
                {
                    sourceRecords += m.RecordsOut;
                }
                else
                {
                    recordsIn += m.RecordsIn;
                }
            }
        }

        var checkpoints = await Coordinator.GetStatsAsync();
        return new JobStatus(JobId, _job?.Graph.Name ?? JobId, _state, _attempt, _restarts, sourceRecords, recordsIn, checkpoints, _failureCause, _restoredCheckpointId);
    }

    public async Task TaskFailedAsync(int attempt, TaskKey task, string errorType, string errorMessage, bool unrecoverable)
    {
        if (attempt != _attempt || _state != JobState.Running)
        {
            return;
        }

        await FailoverAsync($"subtask {task} failed: {errorType}: {errorMessage}", unrecoverable);
    }

    public async Task TaskFinishedAsync(int attempt, TaskKey task)
    {
        if (attempt != _attempt || _state != JobState.Running || !_finished.Add(task))
        {
            return;
        }

        await Coordinator.TaskFinishedAsync(attempt, task);
        if (_finished.Count < Graph.Tasks().Count())
        {
            return;
        }

        _state = JobState.Finished;
        await CancelAttemptAsync();
        await Coordinator.OnJobTerminatedAsync(DiscardOn(JobState.Finished));
        Log.Ended(logger, JobId, _state, string.Empty);
    }

    public Task FailJobAsync(string reason) => _state == JobState.Running ? FailoverAsync(reason) : Task.CompletedTask;

    public async Task FailJobWithoutRestartAsync(string reason)
    {
        if (_state is not (JobState.Running or JobState.Restarting))
        {
            return;
        }

        // Fenced: another coordinator of this job owns its checkpoints now, so none are discarded.
        _state = JobState.Failed;
        _failureCause = reason;
        await CancelAttemptAsync();
        await Coordinator.OnJobTerminatedAsync(discardRetained: false);
        Log.Ended(logger, JobId, _state, reason);
    }

    private bool IsTerminal => _state is JobState.Finished or JobState.Canceled or JobState.Failed;

    private async Task FailoverAsync(string cause, bool unrecoverable = false)
    {
        _state = JobState.Restarting;
        _failureCause = cause;
        _restartStrategy!.NotifyFailure(new JobFailureException(cause));
        Log.Failover(logger, JobId, _attempt, cause);
        await CancelAttemptAsync();
        if (unrecoverable || !_restartStrategy.CanRestart)
        {
            _state = JobState.Failed;
            _failureCause = unrecoverable
                ? $"{cause} (not restarted: restarting cannot fix it)"
                : $"{_restartStrategy.GiveUpReason ?? "the restart strategy gave up"}; last failure: {cause}";
            await Coordinator.OnJobTerminatedAsync(DiscardOn(JobState.Failed));
            Log.Ended(logger, JobId, _state, _failureCause);
            return;
        }

        RegisterGrainTimer(_ => RestartAsync(), _restartStrategy.BackoffTime, Timeout.InfiniteTimeSpan);
    }

    private async Task RestartAsync()
    {
        if (_state != JobState.Restarting)
        {
            return;
        }

        var latest = await Coordinator.GetLatestCompletedAsync();
        _restarts++;
        (CompletedCheckpoint, string)? restore = latest is null ? null
            : _initialRestore is { } initial && initial.Checkpoint.CheckpointId == latest.CheckpointId && initial.Checkpoint.MetadataPath == latest.MetadataPath ? initial
            : (latest, Options.Checkpointing.Directory);
        await DeployAttemptAsync(_attempt + 1, restore);
    }

    private async Task DeployAttemptAsync(int attempt, (CompletedCheckpoint Checkpoint, string StoreRoot)? restore)
    {
        _attempt = attempt;
        _finished = [];
        _state = JobState.Running;
        var checkpoint = restore?.Checkpoint;
        var restoreLocation = restore is { } r && r.StoreRoot != Options.Checkpointing.Directory ? r.StoreRoot : null;
        var taskOptions = new TaskOptions(TaskOptions.Default.BatchSize, Options.Pipeline.BufferTimeout, FinalCheckpoint: Options.Checkpointing.IsEnabled);
        var claim = Options.StateRecovery.ClaimMode == RecoveryClaimMode.Claim && _initialRestore is { } initial && initial.StoreRoot == Options.Checkpointing.Directory;
        var changelog = Options.Checkpointing.Incremental ? ChangelogOf(restore, claim) : null;
        var deployments = Graph.Vertices.SelectMany(vertex => Enumerable.Range(0, vertex.Parallelism).Select(index => new TaskDeployment(
            JobId,
            attempt,
            vertex.Id,
            index,
            Options.Checkpointing.Mode,
            checkpoint?.CheckpointId,
            checkpoint is null ? null : RestoreStateOf(checkpoint.Metadata, vertex, index),
            restoreLocation,
            taskOptions) { Changelog = changelog }));

        await Task.WhenAll(deployments.Select(d => Subtask(new TaskKey(d.VertexId, d.SubtaskIndex)).DeployAsync(d)));

        var plan = new CoordinatorPlan(
            JobId,
            Graph.Name,
            Graph.Operators,
            Graph.Vertices.Where(v => v.IsSource).SelectMany(v => Enumerable.Range(0, v.Parallelism).Select(i => new TaskKey(v.Id, i))).ToArray(),
            Graph.Tasks().ToArray());
        var settings = new CoordinatorSettings(
            Options.Checkpointing.Interval,
            Options.Checkpointing.Timeout,
            Options.Checkpointing.MinPause,
            Options.Checkpointing.MaxConcurrentCheckpoints,
            Options.Checkpointing.TolerableFailedCheckpoints,
            Options.Checkpointing.NumRetained);
        var lease = CoordinatorLeaseSettings.Default with { AcquireTimeout = Options.Checkpointing.LeaseAcquireTimeout };
        await Coordinator.StartAsync(new CoordinatorStart(attempt, plan, _firstCheckpointId, _initialRestore?.Checkpoint, claim, settings, Options.Checkpointing.Directory, lease));
        Log.Deployed(logger, JobId, attempt, Graph.Tasks().Count(), checkpoint?.CheckpointId);
    }

    /// <summary>
    /// Incremental checkpoints for an attempt. Restored chains go on only from the job's own
    /// checkpoints, or from one it claimed (CLAIM); after a NO_CLAIM restore (also on a failover
    /// back to it) the first checkpoint materializes everything into the job's own files.
    /// </summary>
    private ChangelogOptions ChangelogOf((CompletedCheckpoint Checkpoint, string StoreRoot)? restore, bool claim)
    {
        var isInitial = restore is { } from && _initialRestore is { } initial
            && initial.Checkpoint.CheckpointId == from.Checkpoint.CheckpointId && initial.Checkpoint.MetadataPath == from.Checkpoint.MetadataPath;
        var owned = restore is { } r && r.StoreRoot == Options.Checkpointing.Directory && (claim || !isInitial);
        return new ChangelogOptions(Options.State.PeriodicMaterializeInterval, Options.State.MaxDeltaChainLength, owned);
    }

    private IReadOnlyDictionary<string, OperatorRestoreState> RestoreStateOf(CheckpointMetadata metadata, JobVertex vertex, int index)
    {
        // Operators the checkpoint does not know start without state, as new operators do.
        var byUid = metadata.Operators.ToDictionary(o => o.OperatorUid, StringComparer.Ordinal);
        return vertex.OperatorUids
            .Where(byUid.ContainsKey)
            .ToDictionary(uid => uid, uid => StateAssignment.Assign(byUid[uid], vertex.Parallelism, vertex.MaxParallelism, index), StringComparer.Ordinal);
    }

    private async Task CancelAttemptAsync()
    {
        await Coordinator.StopAsync(_state == JobState.Restarting ? CheckpointFailureReason.JobRestarting : CheckpointFailureReason.JobStopping);
        var attempt = _attempt;
        await Task.WhenAll(Graph.Tasks().Select(t => Subtask(t).CancelAsync(attempt)));
        channels.RemoveAttempt(JobId, attempt);
    }

    private async Task<(CompletedCheckpoint Checkpoint, string StoreRoot)?> ResolveRestoreAsync(ICheckpointStore store)
    {
        var path = _job!.RestorePath ?? Options.StateRecovery.Path;
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        if (string.Equals(path, "latest", StringComparison.OrdinalIgnoreCase))
        {
            var latest = await CheckpointLocator.FindLatestAsync(store, JobId, (file, error) => Log.SkippedCorrupt(logger, file, error.Message));
            if (latest is null)
            {
                Log.NothingToRestore(logger, JobId, store.Location.ToString());
                return null;
            }

            return (latest, Options.Checkpointing.Directory);
        }

        var location = CheckpointLocator.ParseRestorePath(path);
        var restoreStore = stores.Open(location.StoreRoot);
        var checkpoint = await CheckpointLocator.LoadAsync(restoreStore, location.MetadataPath);
        await CheckpointLocator.VerifyFilesAsync(restoreStore, checkpoint.Metadata);
        return (checkpoint, location.StoreRoot);
    }

    /// <summary>Whether retained checkpoints are deleted when the job ends in <paramref name="state"/> (Flink's CheckpointProperties).</summary>
    private bool DiscardOn(JobState state) => Options.Checkpointing.ExternalizedRetention switch
    {
        ExternalizedCheckpointRetention.RetainOnCancellation => false,
        ExternalizedCheckpointRetention.DeleteOnCancellation => state != JobState.Failed,
        _ => true,
    };

    private ISubtaskGrain Subtask(TaskKey task) => GrainFactory.GetGrain<ISubtaskGrain>(JobGrainKeys.Subtask(JobId, task));

    private static partial class Log
    {
        [LoggerMessage(200, LogLevel.Information, "Job {JobId} attempt {Attempt} deployed: {Tasks} subtasks, restored from checkpoint {CheckpointId}")]
        public static partial void Deployed(ILogger logger, string jobId, int attempt, int tasks, long? checkpointId);

        [LoggerMessage(201, LogLevel.Warning, "Job {JobId} attempt {Attempt} failed: {Cause}")]
        public static partial void Failover(ILogger logger, string jobId, int attempt, string cause);

        [LoggerMessage(202, LogLevel.Information, "Job {JobId} {State} {Cause}")]
        public static partial void Ended(ILogger logger, string jobId, JobState state, string cause);

        [LoggerMessage(203, LogLevel.Warning, "Skipping corrupt checkpoint {Path}: {Problem}")]
        public static partial void SkippedCorrupt(ILogger logger, string path, string problem);

        [LoggerMessage(204, LogLevel.Information, "Job {JobId} restores from checkpoint {CheckpointId} in {StoreRoot}")]
        public static partial void Restoring(ILogger logger, string jobId, long checkpointId, string storeRoot);

        [LoggerMessage(205, LogLevel.Warning, "Job {JobId}: --restore latest found no complete checkpoint in {Store}; starting without state")]
        public static partial void NothingToRestore(ILogger logger, string jobId, string store);
    }
}

/// <summary>The failure that made a job restart: a subtask's error, or too many failed checkpoints.</summary>
public sealed class JobFailureException(string message) : Exception(message);
