namespace Weir.Checkpointing.Configuration;

/// <summary>What happens to retained checkpoints when a job is cancelled (<c>execution.checkpointing.externalized-checkpoint-retention</c>).</summary>
public enum ExternalizedCheckpointRetention
{
    /// <summary>NO_EXTERNALIZED_CHECKPOINTS: checkpoints are deleted when the job ends.</summary>
    NoExternalizedCheckpoints,

    /// <summary>RETAIN_ON_CANCELLATION: checkpoints are kept when the job is cancelled, to resume from later.</summary>
    RetainOnCancellation,

    /// <summary>DELETE_ON_CANCELLATION: checkpoints are deleted on cancellation and kept when the job fails.</summary>
    DeleteOnCancellation,
}
