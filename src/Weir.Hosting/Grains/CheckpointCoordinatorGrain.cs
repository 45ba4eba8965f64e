using Microsoft.Extensions.Logging;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Grains;
using Weir.Hosting.Storage;
using Weir.Storage;

namespace Weir.Hosting.Grains;

/// <summary>
/// Hosts a job's <see cref="CheckpointCoordinator"/> and drives it with a timer. Messages from
/// other attempts are ignored: only the current attempt's subtasks can acknowledge.
/// Fencing (<see cref="CoordinatorLease"/>): coordination starts only once the job's lease is
/// held; until then a timer retries acquisition (each try one turn, so the grain keeps answering),
/// and giving up fails the job without restart. While held, a timer renews the lease; a lost
/// lease stops the coordinator. The lease is released when the job terminates. Once the lease is
/// first held, the coordinator rebuilds its shared-state registry from the store (and sweeps
/// <c>shared/</c>) before it coordinates.
/// </summary>
internal sealed class CheckpointCoordinatorGrain(ICheckpointStoreFactory stores, ILoggerFactory loggers) : Grain, ICheckpointCoordinatorGrain
{
    private CheckpointCoordinator? _coordinator;
    private CoordinatorLease? _lease;
    private Gateway? _gateway;
    private CoordinatorStart? _start;
    private IDisposable? _leaseTimer;
    private IDisposable? _ticker;
    private int _attempt = -1;

    /// <summary>The first attempt this coordinator ran: it knows every checkpoint completed since, and so which shared files those name.</summary>
    private int _firstAttempt = -1;
    private HashSet<TaskKey> _finished = [];
    private CheckpointStats? _finalStats;

    public async Task StartAsync(CoordinatorStart start)
    {
        if (_coordinator is null)
        {
            _finalStats = null;
            _gateway = new Gateway(GrainFactory, GetPrimaryKeyString(), () => _attempt);
            var store = stores.Open(start.CheckpointDirectory);
            _lease = new CoordinatorLease(store, GetPrimaryKeyString(), start.Lease ?? CoordinatorLeaseSettings.Default, TimeProvider, loggers.CreateLogger<CoordinatorLease>());
            _coordinator = new CheckpointCoordinator(start.Settings, store, _gateway, TimeProvider, loggers.CreateLogger<CheckpointCoordinator>(), _lease);
            if (start.Restored is { } restored)
            {
                _coordinator.AddRestored(restored, start.ClaimRestored);
            }

            _firstAttempt = start.Attempt;
        }
        else
        {
            await _coordinator.StopAsync(CheckpointFailureReason.JobRestarting);
        }

        _attempt = start.Attempt;
        _finished = [];
        _start = start;
        DelayDeactivation(Timeout.InfiniteTimeSpan);
        if (_lease!.IsHeld)
        {
            // Ids go on from the coordinator's own.
            StartAttempt(start, firstCheckpointId: 1);
        }
        else if (_leaseTimer is null)
        {
            await AcquireLeaseAsync();
        }

        if (_ticker is null && start.Settings.Interval is { } interval)
        {
            var period = TimeSpan.FromTicks(Math.Clamp(interval.Ticks / 4, TimeSpan.FromMilliseconds(5).Ticks, TimeSpan.FromMilliseconds(100).Ticks));
            _ticker = RegisterGrainTimer(_ => _coordinator.OnTickAsync(), period, period);
        }
    }

    public Task StopAsync(CheckpointFailureReason reason) => _coordinator?.StopAsync(reason) ?? Task.CompletedTask;

    // An acknowledgement of an attempt that ended: its subtask left the files it wrote to the coordinator. If this
    // coordinator ran that attempt (it knows every checkpoint completed since, and holds the lease), it deletes them.
    public Task AcknowledgeAsync(int attempt, TaskKey task, long checkpointId, TaskCheckpointAck ack) =>
        _coordinator is null ? Task.CompletedTask
        : attempt == _attempt ? _coordinator.ReceiveAcknowledgeAsync(task, checkpointId, ack)
        : attempt < _attempt && attempt >= _firstAttempt && _lease!.IsHeld ? _coordinator.DiscardStaleAcknowledgementAsync(checkpointId, ack)
        : Task.CompletedTask;

    public Task DeclineAsync(int attempt, TaskKey task, long checkpointId, string reason, bool alignmentAborted) =>
        attempt == _attempt && _coordinator is not null ? _coordinator.ReceiveDeclineAsync(task, checkpointId, reason, alignmentAborted) : Task.CompletedTask;

    public Task TaskFinishedAsync(int attempt, TaskKey task) =>
        attempt == _attempt && _coordinator is not null && _finished.Add(task) ? _coordinator.OnTaskFinishedAsync(task) : Task.CompletedTask;

    public Task<long?> TriggerAsync(CheckpointKind kind) => _coordinator?.TriggerAsync(kind) ?? Task.FromResult<long?>(null);

    public Task<bool> IsInputEndedAsync() => Task.FromResult(_coordinator?.InputEnded ?? false);

    public Task SuspendPeriodicCheckpointsAsync()
    {
        _coordinator?.SuspendPeriodicCheckpoints();
        return Task.CompletedTask;
    }

    public Task<CompletedCheckpoint?> GetLatestCompletedAsync() => Task.FromResult(_coordinator?.LatestCompleted);

    public Task<CheckpointOutcome> GetOutcomeAsync(long checkpointId, CheckpointKind kind) =>
        Task.FromResult(_coordinator?.OutcomeOf(checkpointId, kind) ?? CheckpointOutcome.Failed);

    public Task<CheckpointStats> GetStatsAsync() => Task.FromResult(_coordinator?.Statistics.Snapshot() ?? _finalStats ?? new CheckpointStatistics().Snapshot());

    public async Task OnJobTerminatedAsync(bool discardRetained)
    {
        _ticker?.Dispose();
        _ticker = null;
        _leaseTimer?.Dispose();
        _leaseTimer = null;
        if (_coordinator is not null)
        {
            await _coordinator.OnJobTerminatedAsync(discardRetained);
            _finalStats = _coordinator.Statistics.Snapshot();
        }

        if (_lease is not null)
        {
            await _lease.DisposeAsync();
        }

        // A later run of the same job id starts with a new coordinator.
        _coordinator = null;
        _lease = null;
        _start = null;
        _attempt = -1;
        _firstAttempt = -1;
        DelayDeactivation(TimeSpan.Zero);
    }

    /// <summary>
    /// One try at the lease. Held: renew it periodically and start coordinating, after any
    /// checkpoint another coordinator completed while this one waited. Not yet: try again on the
    /// retry timer. Given up: fail the job without restart.
    /// </summary>
    private async Task AcquireLeaseAsync()
    {
        if (_lease is not { } lease || _coordinator is null || _start is not { } start)
        {
            return;
        }

        try
        {
            if (!await lease.TryAcquireAsync())
            {
                _leaseTimer ??= RegisterGrainTimer(_ => AcquireLeaseAsync(), lease.Settings.RetryInterval, lease.Settings.RetryInterval);
                return;
            }
        }
        catch (CheckpointLeaseException exception)
        {
            StopLeaseTimer();
            _gateway!.FailJobWithoutRestart(exception.Message);
            return;
        }

        StopLeaseTimer();
        _leaseTimer = RegisterGrainTimer(_ => RenewLeaseAsync(), lease.Settings.RenewInterval, lease.Settings.RenewInterval);
        var existing = await CheckpointLocator.ListCheckpointIdsAsync(stores.Open(start.CheckpointDirectory), GetPrimaryKeyString());
        await _coordinator.RecoverSharedStateAsync(GetPrimaryKeyString());
        StartAttempt(start, existing.Count == 0 ? 1 : existing[0] + 1);
    }

    /// <summary>Starts coordinating the attempt, its first periodic checkpoint after Flink's random initial delay.</summary>
    private void StartAttempt(CoordinatorStart start, long firstCheckpointId) =>
        _coordinator!.Start(start.Plan, firstCheckpointId, CheckpointCoordinator.RandomInitialDelay(start.Settings, Random.Shared));

    private async Task RenewLeaseAsync()
    {
        if (_lease is { } lease && _coordinator is { } coordinator && !await lease.RenewAsync() && lease.LostMessage is { } lost)
        {
            StopLeaseTimer();
            await coordinator.OnLeaseLostAsync(lost);
        }
    }

    private void StopLeaseTimer()
    {
        _leaseTimer?.Dispose();
        _leaseTimer = null;
    }

    /// <summary>The coordinator's calls into the job, as grain calls.</summary>
    private sealed class Gateway(IGrainFactory grains, string jobId, Func<int> attempt) : ICheckpointGateway
    {
        public Task TriggerCheckpointAsync(TaskKey source, long checkpointId, DateTimeOffset timestamp, CheckpointKind kind) =>
            Subtask(source).TriggerCheckpointAsync(attempt(), checkpointId, timestamp, kind);

        public void NotifyCheckpointComplete(TaskKey task, long checkpointId) =>
            _ = Subtask(task).NotifyCheckpointCompleteAsync(attempt(), checkpointId).ContinueWith(Observe, TaskScheduler.Default);

        public void NotifyCheckpointAborted(TaskKey task, long checkpointId) =>
            _ = Subtask(task).NotifyCheckpointAbortedAsync(attempt(), checkpointId).ContinueWith(Observe, TaskScheduler.Default);

        public void FailJob(string reason) =>
            _ = grains.GetGrain<IJobMasterGrain>(jobId).FailJobAsync(reason).ContinueWith(Observe, TaskScheduler.Default);

        public void FailJobWithoutRestart(string reason) =>
            _ = grains.GetGrain<IJobMasterGrain>(jobId).FailJobWithoutRestartAsync(reason).ContinueWith(Observe, TaskScheduler.Default);

        private ISubtaskGrain Subtask(TaskKey task) => grains.GetGrain<ISubtaskGrain>(JobGrainKeys.Subtask(jobId, task));

        // Notifications are best effort: a subtask that is gone learns of later checkpoints.
        private static void Observe(Task call) => _ = call.Exception;
    }
}
