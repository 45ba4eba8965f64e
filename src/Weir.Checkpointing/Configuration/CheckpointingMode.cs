namespace Weir.Checkpointing.Configuration;

/// <summary>The guarantee checkpoints give (<c>execution.checkpointing.mode</c>).</summary>
public enum CheckpointingMode
{
    /// <summary>EXACTLY_ONCE: subtasks align barriers, so state reflects every record exactly once.</summary>
    ExactlyOnce,

    /// <summary>AT_LEAST_ONCE: subtasks never block on barriers; after a restore some records are replayed into state twice.</summary>
    AtLeastOnce,
}
