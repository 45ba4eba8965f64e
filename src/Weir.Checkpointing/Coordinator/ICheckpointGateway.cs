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
}
