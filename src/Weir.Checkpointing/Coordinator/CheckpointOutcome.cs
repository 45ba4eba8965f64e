namespace Weir.Checkpointing.Coordinator;

/// <summary>Where a triggered checkpoint stands.</summary>
public enum CheckpointProgress
{
    /// <summary>Still collecting acknowledgements.</summary>
    Pending,

    /// <summary>Its <c>_metadata</c> was written.</summary>
    Completed,

    /// <summary>Aborted, declined, expired, or unknown to the coordinator.</summary>
    Failed,
}

/// <summary>A triggered checkpoint's progress, with the completed checkpoint once there is one (see <see cref="CheckpointCoordinator.OutcomeOf"/>).</summary>
public sealed record CheckpointOutcome(CheckpointProgress Progress, CompletedCheckpoint? Checkpoint)
{
    /// <summary>Still pending.</summary>
    public static CheckpointOutcome Pending { get; } = new(CheckpointProgress.Pending, null);

    /// <summary>Failed, or unknown.</summary>
    public static CheckpointOutcome Failed { get; } = new(CheckpointProgress.Failed, null);
}
