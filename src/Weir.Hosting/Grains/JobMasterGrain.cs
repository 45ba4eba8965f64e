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
    IGrainLocator locator,
    ILocalSiloDetails silo,
    ILogger<JobMasterGrain> logger) : Grain, IJobMasterGrain
{
    private JobSubmission? _job;
    private JobState _state = JobState.Created;
    private IRestartBackoffTimeStrategy? _restartStrategy;
    private int _attempt = -1;
    private int _restarts;
    private string? _failureCause;
    private (CompletedCheckpoint Checkpoint, string StoreRoot)? _initialRestore;
    private long? _restoredCheckpointId;
    private HashSet<TaskKey> _finished = [];
    private CheckpointStats? _lastStats;
    private PersistedJob? _record;

    private string JobId => GetPrimaryKeyString();

    private JobGraph Graph => _job!.Graph;

    private WeirOptions Options => _job!.Options;

    private ICheckpointCoordinatorGrain Coordinator => GrainFactory.GetGrain<ICheckpointCoordinatorGrain>(JobId);

    /// <summary>The job's checkpoints.</summary>
    private ICheckpointStore Store => stores.Open(Options.Checkpointing.Directory);

    /// <summary>Where job records are (<see cref="JobSpecStore"/>): the silo's checkpoint directory, which every silo of the cluster knows without the job.</summary>
    private ICheckpointStore Records => stores.Open(jobs.Defaults.Checkpointing.Directory);

    /// <summary>
    /// A job master activated in a cluster while its job's record says the job runs took over from
    /// one whose silo died: it cancels what is left of the recorded attempt and restarts the job
    /// from its latest complete checkpoint. A single silo has no one to take over from: a record
    /// left running there belongs to a process that is gone, and the job runs again when submitted
    /// (with <c>--restore latest</c> to continue from its checkpoints).
    /// </summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (silo.ClusterId is null)
        {
            return;
        }

        var persisted = _record = await JobSpecStore.LoadAsync(Records, JobId, cancellationToken);
        if (persisted is not { Running: true })
        {
            return;
        }

        _job = jobs.Register(persisted.Spec);
        DelayDeactivation(Timeout.InfiniteTimeSpan);
        _restartStrategy = RestartStrategies.Create(Options.RestartStrategy, TimeProvider, new Random(JobId.GetHashCode(StringComparison.Ordinal)));
        _attempt = persisted.Attempt;
        _state = JobState.Restarting;
        _failureCause = $"the job master of attempt {persisted.Attempt} was lost (its silo left the cluster)";
        Log.TakingOver(logger, JobId, persisted.Attempt);
        RegisterGrainTimer(_ => TakeOverAsync(), TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Cancels what is left of the lost attempt and restarts the job, knowing (as the lost job master
    /// did) the checkpoint or savepoint the job was submitted to restore from: until the job completes
    /// a checkpoint of its own, that is what it restarts from, read from wherever it is.
    /// </summary>
    private async Task TakeOverAsync()
    {
        await CancelAttemptAsync();
        try
        {
            // 'latest' names the job's own checkpoints, which the restart looks for anyway.
            if (!IsLatest(RestorePath))
            {
                _initialRestore = await ResolveRestoreAsync(Store);
                _restoredCheckpointId = _initialRestore?.Checkpoint.CheckpointId;
            }
        }
        catch (Exception e) when (e is CheckpointStoreException or CorruptCheckpointException or ArgumentException)
        {
            // Needed only while the job has no checkpoint of its own: starting it empty instead would lose the restored state.
            if (await CheckpointLocator.FindLatestAsync(Store, JobId) is null)
            {
                await FailJobWithoutRestartAsync($"{_failureCause}; the job cannot restart: it has no checkpoint of its own yet and its restore path cannot be read ({e.Message})");
                return;
            }

            Log.RestorePathUnreadable(logger, JobId, e.Message);
        }

        await RestartAsync();
    }

    public Task SubmitAsync(JobSpec spec)
    {
        if (spec.JobId != JobId)
        {
            throw new ArgumentException($"Spec of job '{spec.JobId}' was sent to the job master of '{JobId}'.", nameof(spec));
        }

        JobSpec.ValidateId(JobId, nameof(spec));
        ThrowIfRunning();
        jobs.Register(spec);
        return StartAsync();
    }

    public async Task StartAsync()
    {
        ThrowIfRunning();

        _job = await jobs.GetAsync(JobId);

        // A job's own options (JobSubmitOptions.Options, a cluster client's --Weir: settings) meet the silo's checks too.
        Microsoft.Extensions.DependencyInjection.WeirServiceCollectionExtensions.RejectUnsupported(Options);
        _restarts = 0;
        _failureCause = null;
        _restoredCheckpointId = null;
        DelayDeactivation(Timeout.InfiniteTimeSpan);
        _restartStrategy = RestartStrategies.Create(Options.RestartStrategy, TimeProvider, new Random(JobId.GetHashCode(StringComparison.Ordinal)));
        _initialRestore = await ResolveRestoreAsync(Store);
        if (_initialRestore is { } restore)
        {
            StateAssignment.Validate(restore.Checkpoint.Metadata, $"{restore.StoreRoot}/{restore.Checkpoint.MetadataPath}", Graph.Operators);
            _restoredCheckpointId = restore.Checkpoint.CheckpointId;
            Log.Restoring(logger, JobId, restore.Checkpoint.CheckpointId, restore.StoreRoot);
        }

        // Checkpoint ids go on after those in the job's directory: the coordinator lists them when it takes the job's lease.
        // Attempt numbers name channels across the cluster: a job run by name continues the numbering
        // of its earlier runs, so nothing left of them (on any silo) meets the new one.
        if (_job.Spec is not null)
        {
            _record ??= await JobSpecStore.LoadAsync(Records, JobId);
        }

        await DeployAttemptAsync(_record?.Attempt + 1 ?? 0, _initialRestore);
    }

    private void ThrowIfRunning()
    {
        if (_state is JobState.Running or JobState.Restarting)
        {
            throw new InvalidOperationException($"Job '{JobId}' is already running (it is {_state}); cancel it before submitting it again.");
        }
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
        await EndedAsync(string.Empty);
    }

    public async Task<JobReport> StopAsync()
    {
        var final = _state == JobState.Running ? await StopWithSavepointAsync() : null;
        await CancelAsync();
        final ??= await CheckpointLocator.FindLatestAsync(Store, JobId);
        var status = await GetStatusAsync();
        if (_job?.Spec is not { } spec)
        {
            return new JobReport([], status.State == JobState.Failed ? 1 : 0);
        }

        var report = await jobs.Factory(spec.JobName).ReportAsync(new JobReportContext(status, final, Store, Options.Checkpointing.Mode));
        return status.State == JobState.Failed ? report with { ExitCode = Math.Max(1, report.ExitCode) } : report;
    }

    /// <summary>
    /// A savepoint (never discarded by retention), one aborted retried, with periodic checkpoints
    /// stopped first (the job is cancelled after it); null if checkpointing is off, none completed within a minute,
    /// or the sources ended their input (the last completed checkpoint, which the report then names, has all they read).
    /// </summary>
    private async Task<CompletedCheckpoint?> StopWithSavepointAsync()
    {
        if (!Options.Checkpointing.IsEnabled)
        {
            return null;
        }

        await Coordinator.SuspendPeriodicCheckpointsAsync();
        return await Coordinator.TakeCheckpointAsync(CheckpointKind.Savepoint, TimeProvider, TimeSpan.FromMinutes(1));
    }

    public async Task<JobStatus> GetStatusAsync()
    {
        long sourceRecords = 0, recordsIn = 0;
        if (_job is not null && _state is JobState.Running or JobState.Restarting)
        {
            // A subtask on a silo that just died has no figures: the status leaves it out.
            var metrics = await Task.WhenAll(Graph.Tasks().Select(t => NullIfSiloLost(Subtask(t).GetMetricsAsync())));
            foreach (var m in metrics.OfType<SubtaskMetrics>().Where(m => m.Attempt == _attempt))
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

        CheckpointStats checkpoints;
        try
        {
            checkpoints = _lastStats = await Coordinator.GetStatsAsync();
        }
        catch (Exception e) when (IsSiloLost(e))
        {
            // The coordinator's silo just died; it comes back (empty) with the next attempt.
            checkpoints = _lastStats ?? new CheckpointStatistics().Snapshot();
        }

        return new JobStatus(JobId, _job?.Graph.Name ?? JobId, _state, _attempt, _restarts, sourceRecords, recordsIn, checkpoints, _failureCause, _restoredCheckpointId);
    }

    public Task<JobState> GetStateAsync() => Task.FromResult(_state);

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
        await EndedAsync(string.Empty);
    }

    public Task FailJobAsync(string reason) => _state == JobState.Running ? FailoverAsync(reason) : Task.CompletedTask;

    public async Task FailJobWithoutRestartAsync(string reason)
    {
        if (_state is not (JobState.Running or JobState.Restarting))
        {
            return;
        }

        // Nothing is discarded: another coordinator of this job owns its checkpoints now (fenced), or the job
        // cannot restart from them (a takeover that cannot read its restore path), and they are all there is.
        _state = JobState.Failed;
        _failureCause = reason;
        await CancelAttemptAsync();
        await Coordinator.OnJobTerminatedAsync(discardRetained: false);
        await EndedAsync(reason);
    }

    /// <summary>Logs the end, and records it so no job master takes this job over again.</summary>
    private async Task EndedAsync(string cause)
    {
        Log.Ended(logger, JobId, _state, cause);
        await RecordAsync(running: false);
    }

    /// <summary>Records the job's spec, whether it runs and its attempt, if it was submitted by name.</summary>
    private async Task RecordAsync(bool running)
    {
        if (_job?.Spec is { } spec)
        {
            var record = new PersistedJob(spec, running, _attempt);
            await JobSpecStore.SaveAsync(Records, record);
            _record = record;
        }
    }

    private bool IsTerminal => JobStatus.IsTerminalState(_state);

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
            await EndedAsync(_failureCause);
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

        // A coordinator lost with its silo (or moved since) remembers nothing: the store does.
        var latest = await NullIfSiloLost(Coordinator.GetLatestCompletedAsync())
            ?? await CheckpointLocator.FindLatestAsync(Store, JobId, (file, error) => Log.SkippedCorrupt(logger, file, error.Message));
        _restarts++;
        // No checkpoint of the job's own yet: the one it was started from, if any (Flink's failover to the initial savepoint).
        (CompletedCheckpoint, string)? restore = latest is null || IsInitialRestore(latest) ? _initialRestore
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
            taskOptions) { Changelog = changelog, Unaligned = Options.Checkpointing.UnalignedEnabled, AlignedCheckpointTimeout = Options.Checkpointing.AlignedCheckpointTimeout, SnapshotWriteThreads = Options.State.SnapshotWriteThreads }));

        await RecordAsync(running: true);
        var placement = Place();
        try
        {
            await Task.WhenAll(deployments.Select(d => Subtask(new TaskKey(d.VertexId, d.SubtaskIndex)).DeployAsync(d, placement)));
        }
        catch (Exception e) when (IsSiloLost(e))
        {
            // A silo of the placement is gone (the cluster has not noticed yet): this attempt fails like any other.
            await FailoverAsync($"deploying attempt {attempt} failed: {e.Message}");
            return;
        }

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
        try
        {
            await Coordinator.StartAsync(new CoordinatorStart(attempt, plan, _initialRestore?.Checkpoint ?? checkpoint, claim, settings, Options.Checkpointing.Directory, lease));
        }
        catch (Exception e) when (IsSiloLost(e))
        {
            await FailoverAsync($"starting the checkpoint coordinator of attempt {attempt} failed: {e.Message}");
            return;
        }

        Log.Deployed(logger, JobId, attempt, Graph.Tasks().Count(), checkpoint?.CheckpointId);
    }

    /// <summary>
    /// Incremental checkpoints for an attempt. Restored chains go on only from the job's own
    /// checkpoints, or from one it claimed (CLAIM); after a NO_CLAIM restore (also on a failover
    /// back to it) the first checkpoint materializes everything into the job's own files.
    /// </summary>
    private ChangelogOptions ChangelogOf((CompletedCheckpoint Checkpoint, string StoreRoot)? restore, bool claim)
    {
        var owned = restore is { } r && r.StoreRoot == Options.Checkpointing.Directory && (claim || !IsInitialRestore(r.Checkpoint));
        return new ChangelogOptions(Options.State.PeriodicMaterializeInterval, Options.State.MaxDeltaChainLength, owned);
    }

    /// <summary>Whether <paramref name="checkpoint"/> is the one the job was started from.</summary>
    private bool IsInitialRestore(CompletedCheckpoint checkpoint) =>
        _initialRestore is { } initial && initial.Checkpoint.CheckpointId == checkpoint.CheckpointId && initial.Checkpoint.MetadataPath == checkpoint.MetadataPath;

    /// <summary>Where each subtask of the attempt will run: decided here, once, so both ends of every channel agree.</summary>
    private TaskPlacement Place() =>
        new(Graph.Tasks().ToDictionary(t => t.ToString(), t => locator.OwnerOf(Subtask(t).GetGrainId()).ToString(), StringComparer.Ordinal));

    private IReadOnlyDictionary<string, OperatorRestoreState> RestoreStateOf(CheckpointMetadata metadata, JobVertex vertex, int index)
    {
        // Operators the checkpoint does not know start without state, as new operators do.
        var byUid = metadata.Operators.ToDictionary(o => o.OperatorUid, StringComparer.Ordinal);
        return vertex.OperatorUids
            .Where(byUid.ContainsKey)
            .ToDictionary(uid => uid, uid => StateAssignment.Assign(byUid[uid], vertex.Parallelism, vertex.MaxParallelism, index), StringComparer.Ordinal);
    }

    /// <summary>Stops the coordinator and every subtask of the current attempt; those on a silo that is gone are gone already.</summary>
    private async Task CancelAttemptAsync()
    {
        await Tolerate(Coordinator.StopAsync(_state == JobState.Restarting ? CheckpointFailureReason.JobRestarting : CheckpointFailureReason.JobStopping));
        var attempt = _attempt;
        await Task.WhenAll(Graph.Tasks().Select(t => Tolerate(Subtask(t).CancelAsync(attempt))));
        channels.RemoveAttempt(JobId, attempt);
    }

    /// <summary>A call to a grain whose silo is gone fails fast, or times out if the silo died while it was in flight.</summary>
    private static bool IsSiloLost(Exception e) => e is SiloUnavailableException or TimeoutException;

    private static async Task Tolerate(Task call)
    {
        try
        {
            await call;
        }
        catch (Exception e) when (IsSiloLost(e))
        {
        }
    }

    private static async Task<T?> NullIfSiloLost<T>(Task<T> call)
        where T : class?
    {
        try
        {
            return await call;
        }
        catch (Exception e) when (IsSiloLost(e))
        {
            return null;
        }
    }

    private async Task<(CompletedCheckpoint Checkpoint, string StoreRoot)?> ResolveRestoreAsync(ICheckpointStore store)
    {
        var path = RestorePath;
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        if (IsLatest(path))
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

    /// <summary>Where the job was submitted to restore from: its own <c>--restore</c>, else <c>execution.state-recovery.path</c>.</summary>
    private string? RestorePath => _job!.RestorePath ?? Options.StateRecovery.Path;

    /// <summary>Whether a restore path names the job's own newest checkpoint.</summary>
    private static bool IsLatest(string? path) => string.Equals(path, "latest", StringComparison.OrdinalIgnoreCase);

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

        [LoggerMessage(206, LogLevel.Warning, "Job {JobId}: taking over after the job master of attempt {Attempt} was lost; restarting from the latest checkpoint")]
        public static partial void TakingOver(ILogger logger, string jobId, int attempt);

        [LoggerMessage(207, LogLevel.Warning, "Job {JobId}: its restore path cannot be read ({Problem}); it restarts from its own latest checkpoint")]
        public static partial void RestorePathUnreadable(ILogger logger, string jobId, string problem);

        [LoggerMessage(205, LogLevel.Warning, "Job {JobId}: --restore latest found no complete checkpoint in {Store}; starting without state")]
        public static partial void NothingToRestore(ILogger logger, string jobId, string store);
    }
}

/// <summary>The failure that made a job restart: a subtask's error, or too many failed checkpoints.</summary>
public sealed class JobFailureException(string message) : Exception(message);
