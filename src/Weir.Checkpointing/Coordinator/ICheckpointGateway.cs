using Weir.Checkpointing.Metadata;

namespace Weir.Checkpointing.Coordinator;

/// <summary>
/// The coordinator's port to the running job: how it asks sources to start a checkpoint, tells
/// tasks about completions and aborts, and fails the job. The host implements it with grain calls.
/// </summary>
public interface ICheckpointGateway
{
    /// <summary>Asks a source subtask to snapshot and emit barrier <paramref name="checkpointId"/>.</summary>
    Task TriggerCheckpointAsync(TaskKey source, long checkpointId, DateTimeOffset timestamp, CheckpointKind kind);

    /// <summary>Tells a subtask that <paramref name="checkpointId"/> is complete (sinks commit). Fire and forget.</summary>
    void NotifyCheckpointComplete(TaskKey task, long checkpointId);

    /// <summary>Tells a subtask that <paramref name="checkpointId"/> was aborted. Fire and forget.</summary>
    void NotifyCheckpointAborted(TaskKey task, long checkpointId);

    /// <summary>Fails the job: too many checkpoints failed in a row.</summary>
    void FailJob(string reason);

    /// <summary>
    /// Fails the job for good, without asking the restart strategy: the coordinator lost its lease
    /// to another coordinator of the job, and a restart would only race it. Hosts implement it;
    /// the default (for gateways written before fencing) fails the job through <see cref="FailJob"/>.
    /// </summary>
    void FailJobWithoutRestart(string reason) => FailJob(reason);
}
