using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;

namespace Weir.Checkpointing.Tests.Coordinator;

/// <summary>A gateway that records what the coordinator asked of the job; triggers can be made to fail.</summary>
internal sealed class RecordingGateway : ICheckpointGateway
{
    public List<(TaskKey Source, long CheckpointId, DateTimeOffset Timestamp, CheckpointKind Kind)> Triggers { get; } = [];

    public List<(TaskKey Task, long CheckpointId)> Completions { get; } = [];

    public List<(TaskKey Task, long CheckpointId)> Aborts { get; } = [];

    public List<string> JobFailures { get; } = [];

    /// <summary>If set, a trigger fails with this exception.</summary>
    public Exception? TriggerFailure { get; set; }

    public IEnumerable<long> TriggeredIds => Triggers.Select(t => t.CheckpointId).Distinct();

    public Task TriggerCheckpointAsync(TaskKey source, long checkpointId, DateTimeOffset timestamp, CheckpointKind kind)
    {
        Triggers.Add((source, checkpointId, timestamp, kind));
        return TriggerFailure is { } failure ? Task.FromException(failure) : Task.CompletedTask;
    }

    public void NotifyCheckpointComplete(TaskKey task, long checkpointId) => Completions.Add((task, checkpointId));

    public void NotifyCheckpointAborted(TaskKey task, long checkpointId) => Aborts.Add((task, checkpointId));

    public void FailJob(string reason) => JobFailures.Add(reason);
}
