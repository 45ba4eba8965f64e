using Weir.Checkpointing.Configuration;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Grains;
using Weir.Grains.Invocation;
using Weir.Streaming.Tasks;

namespace Weir.Hosting.Grains;

/// <summary>
/// The job master of one job (key: job id): deploys its subtasks, restarts them from the latest
/// checkpoint when one fails (as the restart strategy allows), and ends the job.
/// </summary>
public interface IJobMasterGrain : IGrainWithStringKey
{
    /// <summary>Starts the job registered under this id in the silo's <see cref="Jobs.JobRegistry"/>.</summary>
    Task StartAsync();

    /// <summary>Builds the job from its spec with a registered job factory (on every silo that runs a part of it) and starts it; the spec is persisted so the job survives the loss of this grain's silo.</summary>
    Task SubmitAsync(Jobs.JobSpec spec);

    /// <summary>Stops the job with a savepoint (Flink's stop-with-savepoint), cancels it, and returns its job factory's report.</summary>
    [ResponseTimeout(600)]
    Task<Jobs.JobReport> StopAsync();

    /// <summary>Cancels the job, applying the checkpoint retention policy.</summary>
    Task CancelAsync();

    /// <summary>
    /// The job's state and figures (the figures asked of every subtask and the checkpoint coordinator).
    /// Interleaves: while it waits for a subtask held in a long turn, the job master goes on with
    /// the job (failures, finished subtasks, cancels) and answers other queries.
    /// </summary>
    [AlwaysInterleave]
    Task<JobStatus> GetStatusAsync();

    /// <summary>The job's state alone, answered by the job master without asking its subtasks: for polling; answers even while another call awaits.</summary>
    [AlwaysInterleave]
    Task<JobState> GetStateAsync();

    /// <summary>A subtask of <paramref name="attempt"/> failed; an <paramref name="unrecoverable"/> failure (a corrupt or mismatched checkpoint) fails the job without restarts.</summary>
    Task TaskFailedAsync(int attempt, TaskKey task, string errorType, string errorMessage, bool unrecoverable);

    /// <summary>A subtask of <paramref name="attempt"/> finished its input.</summary>
    Task TaskFinishedAsync(int attempt, TaskKey task);

    /// <summary>The coordinator gave up: too many failed checkpoints.</summary>
    Task FailJobAsync(string reason);

    /// <summary>
    /// Fails the job for good, without restart: its checkpoint coordinator lost (or could not
    /// take) its lease to another coordinator of the job, or a job master taking over cannot read
    /// the checkpoint the job must restart from. Retained checkpoints are kept.
    /// </summary>
    Task FailJobWithoutRestartAsync(string reason);
}

/// <summary>The checkpoint coordinator of one job (key: job id). See <see cref="CheckpointCoordinator"/>.</summary>
public interface ICheckpointCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>Starts (or restarts, for a new attempt) coordinating the job's checkpoints.</summary>
    Task StartAsync(CoordinatorStart start);

    /// <summary>Stops triggering and aborts pending checkpoints.</summary>
    Task StopAsync(CheckpointFailureReason reason);

    /// <summary>A subtask acknowledged a checkpoint.</summary>
    Task AcknowledgeAsync(int attempt, TaskKey task, long checkpointId, TaskCheckpointAck ack);

    /// <summary>A subtask declined a checkpoint.</summary>
    Task DeclineAsync(int attempt, TaskKey task, long checkpointId, string reason, bool alignmentAborted);

    /// <summary>A subtask finished: it is no longer triggered or waited for.</summary>
    Task TaskFinishedAsync(int attempt, TaskKey task);

    /// <summary>Triggers a checkpoint or savepoint now; its id, or null if the job is not running or its input ended (<see cref="IsInputEndedAsync"/>).</summary>
    Task<long?> TriggerAsync(CheckpointKind kind);

    /// <summary>True once every source of the running attempt ended its stream after a completed checkpoint: no checkpoint or savepoint can be triggered any more.</summary>
    Task<bool> IsInputEndedAsync();

    /// <summary>Stops periodic checkpoints for the rest of the attempt (stop-with-savepoint); explicit triggers still run.</summary>
    Task SuspendPeriodicCheckpointsAsync();

    /// <summary>The latest completed checkpoint (or the restored one), or null.</summary>
    Task<CompletedCheckpoint?> GetLatestCompletedAsync();

    /// <summary>Where a checkpoint or savepoint <see cref="TriggerAsync"/> started stands (<see cref="CheckpointCoordinator.OutcomeOf"/>); failed if the coordinator is not running.</summary>
    Task<CheckpointOutcome> GetOutcomeAsync(long checkpointId, CheckpointKind kind);

    /// <summary>Checkpoint counts and durations.</summary>
    Task<CheckpointStats> GetStatsAsync();

    /// <summary>The job ended: stop, and discard retained checkpoints if the policy says so.</summary>
    Task OnJobTerminatedAsync(bool discardRetained);
}

/// <summary>One subtask of a job (key: <c>job/vertex/index</c>): runs a <see cref="StreamTask"/> on the mailbox model.</summary>
public interface ISubtaskGrain : IGrainWithStringKey
{
    /// <summary>Starts the subtask for an attempt: wires channels (local, or to the silos <paramref name="placement"/> names), restores state, opens operators, starts processing.</summary>
    Task DeployAsync(TaskDeployment deployment, TaskPlacement placement);

    /// <summary>Source subtasks: take a checkpoint and emit its barrier.</summary>
    Task TriggerCheckpointAsync(int attempt, long checkpointId, DateTimeOffset timestamp, CheckpointKind kind);

    /// <summary>A checkpoint completed.</summary>
    Task NotifyCheckpointCompleteAsync(int attempt, long checkpointId);

    /// <summary>A checkpoint was aborted.</summary>
    Task NotifyCheckpointAbortedAsync(int attempt, long checkpointId);

    /// <summary>Stops the subtask of <paramref name="attempt"/>.</summary>
    Task CancelAsync(int attempt);

    /// <summary>Records in and out, and state.</summary>
    Task<SubtaskMetrics> GetMetricsAsync();
}

/// <summary>
/// What the coordinator needs for an attempt; <paramref name="Lease"/> null for <see cref="CoordinatorLeaseSettings.Default"/>.
/// Checkpoint ids go on after the restored one and those in the job's directory (listed when the lease is taken).
/// </summary>
public sealed record CoordinatorStart(int Attempt, CoordinatorPlan Plan, CompletedCheckpoint? Restored, bool ClaimRestored, CoordinatorSettings Settings, string CheckpointDirectory, CoordinatorLeaseSettings? Lease = null);

/// <summary>
/// Where the job master placed an attempt's subtasks: the silo of each (by <c>vertex#index</c>),
/// decided once for the attempt so that both ends of every channel agree whether it crosses
/// silos. Empty means every subtask on one silo.
/// </summary>
public sealed record TaskPlacement(IReadOnlyDictionary<string, string> Silos)
{
    /// <summary>The silo of <paramref name="task"/>, or null if it runs where the caller does.</summary>
    public SiloAddress? SiloOf(TaskKey task) => Silos.TryGetValue(task.ToString(), out var silo) ? SiloAddress.Parse(silo) : null;
}

/// <summary>A subtask's figures.</summary>
public sealed record SubtaskMetrics(TaskKey Task, int Attempt, TaskState State, long RecordsIn, long RecordsOut);

/// <summary>The states of a job (Flink's JobStatus).</summary>
public enum JobState
{
    /// <summary>Submitted, not yet deployed.</summary>
    Created,

    /// <summary>All subtasks deployed and processing.</summary>
    Running,

    /// <summary>A subtask failed; waiting to redeploy from the latest checkpoint.</summary>
    Restarting,

    /// <summary>Every source ended and every subtask finished.</summary>
    Finished,

    /// <summary>Cancelled by the user.</summary>
    Canceled,

    /// <summary>Failed for good: the restart strategy gave up, or restoring failed.</summary>
    Failed,
}

/// <summary>A job's status and figures: records emitted by its sources and received by its other subtasks (in the current attempt), restarts, checkpoints.</summary>
public sealed record JobStatus(
    string JobId,
    string JobName,
    JobState State,
    int Attempt,
    int Restarts,
    long SourceRecords,
    long RecordsIn,
    CheckpointStats Checkpoints,
    string? FailureCause,
    long? RestoredCheckpointId)
{
    /// <summary>True for Finished, Canceled and Failed.</summary>
    public bool IsTerminal => IsTerminalState(State);

    /// <summary>True for Finished, Canceled and Failed: the job does not run again.</summary>
    public static bool IsTerminalState(JobState state) => state is JobState.Finished or JobState.Canceled or JobState.Failed;
}

/// <summary>Grain keys of a job's grains.</summary>
public static class JobGrainKeys
{
    /// <summary>The key of a subtask grain: <c>job/vertex/index</c>.</summary>
    public static string Subtask(string jobId, TaskKey task) => $"{jobId}/{task.VertexId}/{task.Subtask}";

    /// <summary>The job id in a subtask grain's key (job ids contain no '/').</summary>
    public static string JobOfSubtask(string subtaskKey) => subtaskKey[..subtaskKey.IndexOf('/', StringComparison.Ordinal)];
}
