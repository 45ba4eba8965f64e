using Microsoft.Extensions.Logging;
using Weir.Checkpointing.Metadata;
using Weir.Storage;

namespace Weir.Checkpointing.Coordinator;

/// <summary>
/// The checkpoint coordinator of one job (Flink's protocol, DESIGN.md "Checkpoint protocol"):
/// <list type="number">
/// <item>On a tick, <see cref="CheckpointRequestDecider"/> says whether checkpoint n may start;
/// if so every source subtask is asked to snapshot and emit barrier n. The first periodic
/// checkpoint of an attempt waits the initial delay given to <see cref="Start"/> (the host passes
/// <see cref="RandomInitialDelay"/>, as Flink's scheduler does).</item>
/// <item>Every subtask acknowledges n with its state handles (<see cref="PendingCheckpoint"/>
/// ignores duplicate, late and unknown acks).</item>
/// <item>With all acks in, <c>chk-n/_metadata</c> is written create-only, last; only then is n
/// complete. Older pending checkpoints are subsumed, tasks are told "n complete", and
/// <see cref="CompletedCheckpointStore"/> says which older checkpoints to discard.</item>
/// <item>A timeout, a decline or a failed write aborts n: tasks are told, its files deleted, and
/// <see cref="CheckpointFailureManager"/> says whether the job must fail.</item>
/// <item>Fencing: with a <see cref="CoordinatorLease"/>, the lease is renewed right before each
/// <c>_metadata</c> write; once it is lost the coordinator stops for good, deletes nothing more,
/// and fails the job without restart.</item>
/// <item>Shared files (incremental checkpoints): <see cref="SharedStateRegistry"/> decides which
/// files in <c>shared/</c> go when retention drops checkpoints or an attempt ends;
/// <see cref="RecoverSharedStateAsync"/> rebuilds it from the store when a run starts. A checkpoint
/// retention dropped but whose discard failed may still be complete on storage (its
/// <c>_metadata</c> is there): it holds its shared files until a retried discard removes it.</item>
/// </list>
/// Not thread-safe: the host calls it from one turn at a time (it runs inside a grain).
/// </summary>
public sealed class CheckpointCoordinator
{
    /// <summary>How many completed savepoints <see cref="OutcomeOf"/> remembers.</summary>
    public const int RecentSavepoints = 8;

    private readonly CoordinatorSettings _settings;
    private readonly ICheckpointStore _store;
    private readonly ICheckpointGateway _gateway;
    private readonly TimeProvider _clock;
    private readonly CoordinatorLog _log;
    private readonly CheckpointRequestDecider? _decider;
    private readonly CheckpointFailureManager _failures;
    private readonly CompletedCheckpointStore _completed;
    private readonly SharedStateRegistry _sharedState = new();
    private readonly SharedStateDisposal _sharedDisposal;
    private readonly CoordinatorLease? _lease;
    private readonly SortedDictionary<long, PendingCheckpoint> _pending = [];
    private readonly List<CompletedCheckpoint> _savepoints = []; // the last RecentSavepoints completed, oldest first
    private CoordinatorPlan? _plan;
    private string? _recoveredJobId;
    private List<TaskKey> _sources = [];
    private List<TaskKey> _tasksToAcknowledge = [];
    private readonly HashSet<TaskKey> _endedSources = [];
    private CompletedCheckpoint? _restored;
    private DateTimeOffset? _lastTriggered;
    private DateTimeOffset _firstTriggerNotBefore;
    private DateTimeOffset? _lastCompleted;
    private bool _stopped;
    private bool _periodicSuspended;
    private bool _fenced;

    public CheckpointCoordinator(CoordinatorSettings settings, ICheckpointStore store, ICheckpointGateway gateway, TimeProvider clock, ILogger logger, CoordinatorLease? lease = null)
    {
        _lease = lease;
        _settings = settings;
        _store = store;
        _gateway = gateway;
        _clock = clock;
        _log = new CoordinatorLog(logger);
        _decider = settings.Interval is { } interval ? new CheckpointRequestDecider(interval, settings.MinPause, settings.MaxConcurrentCheckpoints) : null;
        _failures = new CheckpointFailureManager(settings.TolerableFailedCheckpoints);
        _completed = new CompletedCheckpointStore(settings.NumRetained);
        _sharedDisposal = new SharedStateDisposal(store, _log, () => _fenced, () => _plan?.JobId ?? _recoveredJobId ?? "?");
    }

    /// <summary>The id the next checkpoint gets.</summary>
    public long NextCheckpointId { get; private set; } = 1;

    /// <summary>Counts and durations.</summary>
    public CheckpointStatistics Statistics { get; } = new();

    /// <summary>The newest completed checkpoint (or, before any completed, the one the job was restored from), or null.</summary>
    public CompletedCheckpoint? LatestCompleted
    {
        get
        {
            var checkpoint = _completed.Latest ?? _restored;
            var savepoint = _savepoints.LastOrDefault();
            return savepoint is not null && (checkpoint is null || savepoint.CheckpointId > checkpoint.CheckpointId) ? savepoint : checkpoint;
        }
    }

    /// <summary>
    /// Where a checkpoint or savepoint this coordinator triggered stands. A savepoint is done only
    /// when it completed itself (one of the last <see cref="RecentSavepoints"/>). A checkpoint is done
    /// once it or a newer checkpoint completed: the newest retained one is given, since retention may
    /// have discarded the one asked for. Anything else no longer pending failed (or was never triggered here).
    /// </summary>
    public CheckpointOutcome OutcomeOf(long checkpointId, CheckpointKind kind)
    {
        if (_pending.ContainsKey(checkpointId))
        {
            return CheckpointOutcome.Pending;
        }

        var completed = kind == CheckpointKind.Savepoint
            ? _savepoints.Find(s => s.CheckpointId == checkpointId)
            : _completed.Latest is { } latest && latest.CheckpointId >= checkpointId ? latest : null;
        return completed is null ? CheckpointOutcome.Failed : new CheckpointOutcome(CheckpointProgress.Completed, completed);
    }

    /// <summary>The retained completed checkpoints, oldest first.</summary>
    public IReadOnlyList<CompletedCheckpoint> Retained => _completed.Retained;

    /// <summary>
    /// Every source ended its stream after a completed checkpoint (or finished): nothing can be
    /// triggered any more in this attempt, and the newest completed checkpoint is the attempt's last.
    /// </summary>
    public bool InputEnded => _plan is not null && _sources.TrueForAll(_endedSources.Contains);

    /// <summary>Ids of checkpoints still collecting acknowledgements.</summary>
    public IReadOnlyCollection<long> PendingIds => _pending.Keys;

    /// <summary>The shared files in use and which may go.</summary>
    internal SharedStateRegistry SharedState => _sharedState;

    /// <summary>
    /// Completes when the deletes of shared files the coordinator started have ended. Files a
    /// completed checkpoint superseded are deleted in the background (deleting a large file can
    /// take longer than a checkpoint), so they never delay the next checkpoint's acknowledgements.
    /// </summary>
    public Task SharedDeletes => _sharedDisposal.Pending;

    /// <summary>
    /// Starts coordinating a (re)deployed job: the tasks to trigger and to hear from. Checkpoint
    /// ids continue after <paramref name="firstCheckpointId"/> - 1 (ids are unique per job directory).
    /// </summary>
    /// <param name="plan">The attempt's tasks.</param>
    /// <param name="firstCheckpointId">The least id the attempt's checkpoints may take.</param>
    /// <param name="initialDelay">How long after now the first periodic checkpoint may start (savepoints and explicit triggers never wait).</param>
    public void Start(CoordinatorPlan plan, long firstCheckpointId, TimeSpan initialDelay = default)
    {
        _plan = plan;
        _sources = [.. plan.Sources];
        _tasksToAcknowledge = [.. plan.TasksToAcknowledge];
        _endedSources.Clear();
        _stopped = _fenced;
        _periodicSuspended = false;
        NextCheckpointId = Math.Max(NextCheckpointId, firstCheckpointId);
        _lastTriggered = null;
        _firstTriggerNotBefore = _clock.GetUtcNow() + initialDelay;
    }

    /// <summary>
    /// Flink's initial delay of periodic checkpoints: uniform between the min pause and the interval,
    /// so that jobs (and attempts) started together do not checkpoint together, and an attempt runs a
    /// while before its first checkpoint. Zero without an interval.
    /// </summary>
    public static TimeSpan RandomInitialDelay(CoordinatorSettings settings, Random random)
    {
        if (settings.Interval is not { } interval)
        {
            return TimeSpan.Zero;
        }

        var least = Math.Min(settings.MinPause.Ticks, interval.Ticks);
        return TimeSpan.FromTicks(random.NextInt64(least, interval.Ticks + 1));
    }

    /// <summary>
    /// Records the checkpoint the job was restored from. With <paramref name="claim"/> (CLAIM mode)
    /// the job owns it and discards it once subsumed; otherwise (NO_CLAIM) its files are never
    /// deleted by this job, but it remains the fallback for a failover before a new checkpoint.
    /// </summary>
    public void AddRestored(CompletedCheckpoint checkpoint, bool claim)
    {
        if (claim)
        {
            _completed.Add(checkpoint);
            _sharedState.Register(checkpoint.Metadata);
        }
        else
        {
            _restored = checkpoint;
            _sharedState.Protect(SharedStateRegistry.SharedFilesOf(checkpoint.Metadata));
        }

        NextCheckpointId = Math.Max(NextCheckpointId, checkpoint.CheckpointId + 1);
    }

    /// <summary>
    /// Rebuilds the shared-state registry when a run starts (once the lease is held, before
    /// <see cref="Start"/>): protects the files of every complete checkpoint in the job's directory
    /// that this run does not own, and sweeps <c>shared/</c> of files no complete checkpoint names
    /// that are older than the newest complete checkpoint. Failures are logged, never thrown.
    /// </summary>
    public async Task RecoverSharedStateAsync(string jobId)
    {
        _recoveredJobId = jobId;
        try
        {
            var owned = _completed.Retained.Select(c => c.MetadataPath).ToHashSet(StringComparer.Ordinal);
            var result = await SharedStateRecovery.RecoverAsync(_store, jobId, _sharedState, owned);
            foreach (var (path, error) in result.Unreadable)
            {
                _log.SharedStateUnreadable(path, error.Message);
            }

            await _sharedDisposal.DeleteAsync(result.ToSweep);
            _log.SharedStateRecovered(jobId, result.CompleteCheckpoints, result.SharedFiles, result.ToSweep.Count);
        }
        catch (Exception exception)
        {
            _log.SharedStateRecoveryFailed(exception, jobId);
        }
    }

    /// <summary>Stops triggering (job restarting or stopping) and aborts pending checkpoints.</summary>
    public async Task StopAsync(CheckpointFailureReason reason)
    {
        _stopped = true;
        foreach (var pending in _pending.Values.ToArray())
        {
            await AbortAsync(pending, reason, detail: null);
        }

        if (reason is CheckpointFailureReason.JobRestarting or CheckpointFailureReason.JobStopping)
        {
            // The attempt's subtasks are gone: shared files only unfinished checkpoints named are garbage.
            await _sharedDisposal.DeleteAsync(_sharedState.DiscardUnregistered());
        }
    }

    /// <summary>
    /// No more periodic checkpoints in this attempt; explicit triggers still run. For stop-with-savepoint,
    /// as Flink stops its checkpoint scheduler first: nothing is checkpointed after the final savepoint.
    /// </summary>
    public void SuspendPeriodicCheckpoints() => _periodicSuspended = true;

    /// <summary>Runs periodically: expires overdue checkpoints, then triggers one if the decider allows.</summary>
    public async Task OnTickAsync()
    {
        var now = _clock.GetUtcNow();
        foreach (var pending in _pending.Values.Where(p => p.Deadline <= now).ToArray())
        {
            await AbortAsync(pending, CheckpointFailureReason.Expired, $"not acknowledged by {string.Join(", ", pending.NotYetAcknowledged.Take(5))}");
        }

        if (_stopped || _periodicSuspended || _plan is null || _decider is null)
        {
            return;
        }

        if (_decider.Decide(now, _pending.Count, _lastTriggered, _lastCompleted, _firstTriggerNotBefore).Action == TriggerAction.Trigger)
        {
            await TriggerAsync(CheckpointKind.Checkpoint);
        }
    }

    /// <summary>
    /// Starts a checkpoint (or savepoint) now, regardless of the interval; returns its id, or null if the
    /// job is not running or every source ended its stream after a completed checkpoint (no barrier would
    /// reach the other tasks).
    /// </summary>
    public async Task<long?> TriggerAsync(CheckpointKind kind)
    {
        if (_stopped || _plan is null || InputEnded)
        {
            return null;
        }

        var now = _clock.GetUtcNow();
        var id = NextCheckpointId++;
        var pending = new PendingCheckpoint(id, now, kind, _tasksToAcknowledge, now + _settings.Timeout);
        _pending.Add(id, pending);
        _lastTriggered = now;
        _log.Triggered(id, _plan.JobId, _sources.Count);
        try
        {
            await Task.WhenAll(_sources.ToArray().Select(source => _gateway.TriggerCheckpointAsync(source, id, now, kind)));
        }
        catch (Exception exception)
        {
            await AbortAsync(pending, CheckpointFailureReason.TriggerFailed, exception.Message);
            return null;
        }

        return id;
    }

    /// <summary>A subtask acknowledged a checkpoint. Completes it when it was the last ack.</summary>
    public async Task ReceiveAcknowledgeAsync(TaskKey task, long checkpointId, TaskCheckpointAck ack)
    {
        _sharedState.Acknowledged(SharedStateRegistry.SharedFilesOf(ack));
        if (!_pending.TryGetValue(checkpointId, out var pending))
        {
            _log.IgnoredAck(checkpointId, task, "not pending");
            await DiscardLateStateAsync(checkpointId, ack);
            return;
        }

        var result = pending.Acknowledge(task, ack);
        if (result != AcknowledgeResult.Success)
        {
            _log.IgnoredAck(checkpointId, task, result.ToString());
            return;
        }

        if (pending.IsFullyAcknowledged)
        {
            await CompleteAsync(pending);
        }
    }

    /// <summary>
    /// A subtask finished its input: it is neither triggered nor waited for from now on, and
    /// pending checkpoints count it as acknowledged with no state (it sends no more barriers).
    /// </summary>
    public async Task OnTaskFinishedAsync(TaskKey task)
    {
        _sources.Remove(task);
        _tasksToAcknowledge.Remove(task);
        var empty = new TaskCheckpointAck(new Dictionary<string, SubtaskStateSnapshot>(), TimeSpan.Zero, TimeSpan.Zero);
        foreach (var pending in _pending.Values.ToArray())
        {
            if (pending.Acknowledge(task, empty) == AcknowledgeResult.Success && pending.IsFullyAcknowledged)
            {
                await CompleteAsync(pending);
            }
        }
    }

    /// <summary>A subtask declined a checkpoint (its snapshot failed, or its alignment was aborted).</summary>
    public Task ReceiveDeclineAsync(TaskKey task, long checkpointId, string reason, bool alignmentAborted = false)
    {
        if (!_pending.TryGetValue(checkpointId, out var pending))
        {
            return Task.CompletedTask;
        }

        return AbortAsync(pending, alignmentAborted ? CheckpointFailureReason.AlignmentAborted : CheckpointFailureReason.DeclinedByTask, $"{task}: {reason}");
    }

    /// <summary>
    /// The lease was lost (<see cref="CoordinatorLease"/>): another coordinator of the job completes
    /// checkpoints now. Stops for good, aborting pending checkpoints without deleting any file (the
    /// files may be the other coordinator's now), and fails the job without restart.
    /// </summary>
    public async Task OnLeaseLostAsync(string reason)
    {
        if (_fenced)
        {
            return;
        }

        _fenced = true;
        await StopAsync(CheckpointFailureReason.LeaseLost);
        _gateway.FailJobWithoutRestart(reason);
    }

    /// <summary>Applies the retention policy when the job ends: discards retained checkpoints unless they are to be kept.</summary>
    public async Task OnJobTerminatedAsync(bool discardRetained)
    {
        await StopAsync(CheckpointFailureReason.JobStopping);
        if (_fenced)
        {
            return;
        }

        if (discardRetained)
        {
            _completed.Clear();
        }

        // Checkpoints whose discard failed (and, if discarded, the retained ones) go now; one that
        // still cannot be discarded may be complete on storage, and keeps its shared files.
        await DiscardSubsumedAsync();
        if (_completed.OldestOnStorage is { } oldest)
        {
            await _sharedDisposal.DeleteAsync(_sharedState.Unregister(oldest));
        }
        else if (discardRetained)
        {
            await _sharedDisposal.DeleteAsync(_sharedState.Unregister(long.MaxValue));
        }

        await _sharedDisposal.Pending;
    }

    private async Task CompleteAsync(PendingCheckpoint pending)
    {
        var plan = _plan!;
        var metadata = pending.ToMetadata(plan.JobId, plan.JobName, plan.Operators);
        var path = CheckpointLayout.MetadataPath(plan.JobId, pending.CheckpointId);
        try
        {
            if (_lease is not null)
            {
                await _lease.VerifyAsync();
            }

            await _store.WriteAsync(path, MetadataSerializer.Serialize(metadata), WriteMode.CreateOnly);
        }
        catch (CheckpointLeaseException lost)
        {
            await OnLeaseLostAsync(lost.Message);
            return;
        }
        catch (CheckpointFileExistsException exception)
        {
            // Another writer completed chk-n first (create-only lets exactly one win): delete only
            // the files this attempt's tasks wrote, never the winner's metadata and state.
            await AbortAsync(pending, CheckpointFailureReason.FinalizeFailed, exception.Message, discardDirectory: false);
            foreach (var ack in pending.Acknowledgements.Values)
            {
                await DiscardLateStateAsync(pending.CheckpointId, ack);
            }

            return;
        }
        catch (Exception exception)
        {
            // The write may have landed with its answer lost. Once chk-n is discarded and its
            // _metadata surely gone, it is aborted like any other. If that cannot be made sure,
            // chk-n may be complete after all: its shared files are protected, and tasks are not
            // told it aborted (they would delete files only it named); the next completion
            // settles their pending snapshots as completed.
            var gone = await DiscardMetadataSurelyAsync(pending.CheckpointId);
            if (!gone)
            {
                _sharedState.Protect(pending.Acknowledgements.Values.SelectMany(SharedStateRegistry.SharedFilesOf));
            }

            await AbortAsync(pending, CheckpointFailureReason.FinalizeFailed, exception.Message, discardDirectory: false, notifyTasks: gone);
            return;
        }

        _pending.Remove(pending.CheckpointId);
        var now = _clock.GetUtcNow();
        _lastCompleted = now;
        var completed = new CompletedCheckpoint(metadata, path, now, now - pending.TriggeredAt, metadata.StateSize);
        Statistics.OnCompleted(completed.CheckpointId, completed.Duration, completed.StateSize, now, metadata.HasChannelState);
        _failures.OnSuccess(completed.CheckpointId);

        // Sources at the end of their input end their streams now and send no barrier after this one. Once
        // every source has, no checkpoint is triggered: it would reach no task after the sources, each would
        // acknowledge it with no state as it finished, and the checkpoint a finished job leaves would hold
        // nothing instead of its final state. (Flink triggers the first running tasks instead, FLIP-147.)
        foreach (var (task, ack) in pending.Acknowledgements)
        {
            if (ack.EndsStream)
            {
                _endedSources.Add(task);
            }
        }

        _log.Completed(
            completed.CheckpointId,
            plan.JobId,
            completed.Duration.TotalMilliseconds,
            completed.StateSize,
            pending.Acknowledgements.Values.Select(a => a.SyncDuration.TotalMilliseconds).DefaultIfEmpty().Max(),
            pending.Acknowledgements.Values.Select(a => a.AsyncDuration.TotalMilliseconds).DefaultIfEmpty().Max());

        if (pending.Kind == CheckpointKind.Savepoint)
        {
            // A savepoint belongs to the user: it neither subsumes checkpoints nor is ever discarded here.
            _sharedState.Protect(SharedStateRegistry.SharedFilesOf(metadata));
            _savepoints.Add(completed);
            if (_savepoints.Count > RecentSavepoints)
            {
                _savepoints.RemoveAt(0);
            }

            foreach (var task in _tasksToAcknowledge)
            {
                _gateway.NotifyCheckpointComplete(task, completed.CheckpointId);
            }

            return;
        }

        // A pending savepoint is not subsumed (as in Flink): the user asked for that one.
        foreach (var older in _pending.Values.Where(p => p.CheckpointId < completed.CheckpointId && p.Kind == CheckpointKind.Checkpoint).ToArray())
        {
            await AbortAsync(older, CheckpointFailureReason.Subsumed, detail: null);
        }

        foreach (var task in _tasksToAcknowledge)
        {
            _gateway.NotifyCheckpointComplete(task, completed.CheckpointId);
        }

        _sharedState.Register(metadata);
        _completed.Add(completed);
        await DiscardSubsumedAsync();
        _sharedDisposal.DeleteInBackground(_sharedState.Unregister(_completed.OldestOnStorage ?? completed.CheckpointId));
    }

    private async Task AbortAsync(PendingCheckpoint pending, CheckpointFailureReason reason, string? detail, bool discardDirectory = true, bool notifyTasks = true)
    {
        if (!_pending.Remove(pending.CheckpointId))
        {
            return;
        }

        pending.Discard();
        Statistics.OnFailed();
        _log.Aborted(pending.CheckpointId, _plan?.JobId ?? "?", CheckpointFailureManager.Describe(reason), detail ?? string.Empty);
        foreach (var task in notifyTasks ? _tasksToAcknowledge : [])
        {
            _gateway.NotifyCheckpointAborted(task, pending.CheckpointId);
        }

        if (discardDirectory)
        {
            await DiscardAsync(pending.CheckpointId);
        }

        var verdict = _failures.OnFailure(pending.CheckpointId, reason);
        if (verdict.Action == FailureAction.FailJob)
        {
            _gateway.FailJob(verdict.Reason!);
        }
    }

    /// <summary>Discards chk-n and checks that its <c>_metadata</c> is gone; false if that cannot be made sure.</summary>
    private async Task<bool> DiscardMetadataSurelyAsync(long checkpointId)
    {
        if (await DiscardAsync(checkpointId))
        {
            return true;
        }

        var metadata = CheckpointLayout.MetadataPath(_plan!.JobId, checkpointId);
        try
        {
            return await _store.GetFileAsync(metadata) is null;
        }
        catch (Exception exception)
        {
            _log.DiscardFailed(exception, metadata);
            return false;
        }
    }

    /// <summary>Deletes the exclusive files of a pending checkpoint of this job (its chk-n directory); true if its <c>_metadata</c> surely went.</summary>
    private Task<bool> DiscardAsync(long checkpointId) =>
        _plan is null ? Task.FromResult(true) : DiscardDirectoryAsync(CheckpointLayout.CheckpointDirectory(_plan.JobId, checkpointId));

    /// <summary>
    /// Discards the completed checkpoints retention let go, retrying those whose discard failed
    /// before. One not surely gone stays in <see cref="CompletedCheckpointStore.Discarding"/>: its
    /// <c>_metadata</c> may still be on storage, which makes it a complete checkpoint a restore may
    /// pick, so the registry's watermark stops at it and the shared files it names stay.
    /// </summary>
    private async Task DiscardSubsumedAsync()
    {
        foreach (var checkpoint in _completed.Discarding.ToArray())
        {
            if (await DiscardAsync(checkpoint))
            {
                _completed.Discarded(checkpoint);
            }
        }
    }

    /// <summary>
    /// Deletes the chk-n directory a completed checkpoint's metadata is in (a claimed restored
    /// checkpoint may live in another job's directory); true once its <c>_metadata</c> surely went.
    /// </summary>
    private Task<bool> DiscardAsync(CompletedCheckpoint checkpoint) => DiscardDirectoryAsync(StoragePath.Parent(checkpoint.MetadataPath));

    /// <summary>
    /// Deletes a checkpoint directory, <c>_metadata</c> first (a half-deleted checkpoint must never
    /// look complete). True once <c>_metadata</c> is gone: the checkpoint is no longer complete, so
    /// nothing need keep its shared files, even if the rest of the directory stays behind (logged).
    /// False if fenced or the <c>_metadata</c> delete failed. Failures are logged, never thrown.
    /// </summary>
    private async Task<bool> DiscardDirectoryAsync(string directory)
    {
        if (_fenced)
        {
            return false;
        }

        try
        {
            await _store.DeleteAsync($"{directory}/{CheckpointLayout.MetadataFileName}");
        }
        catch (Exception exception)
        {
            _log.DiscardFailed(exception, directory);
            return false;
        }

        try
        {
            await _store.DeleteDirectoryAsync(directory);
        }
        catch (Exception exception)
        {
            _log.DiscardFailed(exception, directory);
        }

        return true;
    }

    /// <summary>
    /// An acknowledgement from a subtask of an attempt that has ended. Its checkpoint was aborted
    /// with the attempt, and its subtask gave the files it wrote to the coordinator when it
    /// acknowledged. Nothing can name the shared files that no completed checkpoint registered: the next
    /// attempt restores from a completed checkpoint and writes files of its own. So they are deleted,
    /// with the checkpoint's exclusive files.
    /// </summary>
    public async Task DiscardStaleAcknowledgementAsync(long checkpointId, TaskCheckpointAck ack)
    {
        if (_fenced)
        {
            return;
        }

        await _sharedDisposal.DeleteAsync(SharedStateRegistry.SharedFilesOf(ack).Where(p => !_sharedState.IsRegistered(p)).Distinct().ToArray());
        await DiscardLateStateAsync(checkpointId, ack);
    }

    private async Task DiscardLateStateAsync(long checkpointId, TaskCheckpointAck ack)
    {
        if (_plan is null || _fenced || _completed.Retained.Any(c => c.CheckpointId == checkpointId))
        {
            return;
        }

        var exclusive = CheckpointLayout.CheckpointDirectory(_plan.JobId, checkpointId) + "/";
        foreach (var path in ack.OperatorStates.Values.SelectMany(s => s.KeyedState?.KeyGroups ?? []).SelectMany(k => k.Segments).Select(s => s.Path).Distinct())
        {
            if (path.StartsWith(exclusive, StringComparison.Ordinal))
            {
                try
                {
                    await _store.DeleteAsync(path);
                }
                catch (Exception exception)
                {
                    _log.DiscardFailed(exception, path);
                }
            }
        }
    }
}

/// <summary>What the coordinator coordinates: the job, its operators, and which subtasks are triggered and acknowledge.</summary>
public sealed record CoordinatorPlan(
    string JobId,
    string JobName,
    IReadOnlyDictionary<string, OperatorDescriptor> Operators,
    IReadOnlyList<TaskKey> Sources,
    IReadOnlyList<TaskKey> TasksToAcknowledge);

/// <summary>The coordinator's settings (from <c>execution.checkpointing.*</c>).</summary>
public sealed record CoordinatorSettings(
    TimeSpan? Interval,
    TimeSpan Timeout,
    TimeSpan MinPause,
    int MaxConcurrentCheckpoints,
    int TolerableFailedCheckpoints,
    int NumRetained);
