namespace Weir.Checkpointing.Coordinator;

/// <summary>
/// Decides what a failed checkpoint costs (Flink's CheckpointFailureManager): failures that say
/// something about the job's health (timeouts, declines, failed writes) count, and when more
/// than <c>tolerable-failed-checkpoints</c> happen in a row the job fails. Aborts that are part
/// of normal operation (subsumed, job restarting or stopping) do not count. A completed
/// checkpoint resets the count.
/// </summary>
internal sealed class CheckpointFailureManager(int tolerableFailures)
{
    private readonly HashSet<long> _counted = [];

    public int ContinuousFailures => _counted.Count;

    public FailureVerdict OnFailure(long checkpointId, CheckpointFailureReason reason)
    {
        if (!Counts(reason) || !_counted.Add(checkpointId))
        {
            return FailureVerdict.Ignored;
        }

        return _counted.Count > tolerableFailures
            ? FailureVerdict.FailJob($"Exceeded checkpoint tolerable failure threshold: {_counted.Count} checkpoints failed in a row, {tolerableFailures} tolerated (execution.checkpointing.tolerable-failed-checkpoints); last: checkpoint {checkpointId}, {Describe(reason)}.")
            : FailureVerdict.Tolerated;
    }

    public void OnSuccess(long checkpointId) => _counted.RemoveWhere(id => id < checkpointId);

    public static bool Counts(CheckpointFailureReason reason) => reason switch
    {
        CheckpointFailureReason.Expired or CheckpointFailureReason.DeclinedByTask or CheckpointFailureReason.FinalizeFailed or CheckpointFailureReason.AlignmentAborted => true,
        _ => false,
    };

    public static string Describe(CheckpointFailureReason reason) => reason switch
    {
        CheckpointFailureReason.Expired => "expired before completing (execution.checkpointing.timeout)",
        CheckpointFailureReason.DeclinedByTask => "declined by a task (its snapshot failed)",
        CheckpointFailureReason.FinalizeFailed => "writing its metadata failed",
        CheckpointFailureReason.AlignmentAborted => "aborted during barrier alignment",
        CheckpointFailureReason.Subsumed => "subsumed by a newer completed checkpoint",
        CheckpointFailureReason.JobRestarting => "aborted because the job is restarting",
        CheckpointFailureReason.JobStopping => "aborted because the job is stopping",
        CheckpointFailureReason.TriggerFailed => "could not be triggered",
        CheckpointFailureReason.LeaseLost => "aborted because the coordinator lost its lease to another coordinator of the job",
        _ => reason.ToString(),
    };
}

/// <summary>Why a checkpoint did not complete.</summary>
public enum CheckpointFailureReason
{
    /// <summary>It did not complete within the checkpoint timeout.</summary>
    Expired,

    /// <summary>A task declined it (its snapshot failed).</summary>
    DeclinedByTask,

    /// <summary>Writing <c>_metadata</c> failed.</summary>
    FinalizeFailed,

    /// <summary>A task aborted its alignment (newer barrier or cancel marker).</summary>
    AlignmentAborted,

    /// <summary>A newer checkpoint completed first.</summary>
    Subsumed,

    /// <summary>The job is restarting after a failure.</summary>
    JobRestarting,

    /// <summary>The job is being cancelled or finished.</summary>
    JobStopping,

    /// <summary>The sources could not be asked.</summary>
    TriggerFailed,

    /// <summary>The coordinator lost its lease (fencing): another coordinator of the job took over.</summary>
    LeaseLost,
}

/// <summary>The failure manager's verdict.</summary>
internal readonly record struct FailureVerdict(FailureAction Action, string? Reason)
{
    public static readonly FailureVerdict Ignored = new(FailureAction.Ignore, null);

    public static readonly FailureVerdict Tolerated = new(FailureAction.Tolerate, null);

    public static FailureVerdict FailJob(string reason) => new(FailureAction.FailJob, reason);
}

internal enum FailureAction
{
    Ignore,
    Tolerate,
    FailJob,
}
