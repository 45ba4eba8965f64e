namespace Weir.Streaming.Output;

/// <summary>How records of an edge are distributed over the subtasks downstream.</summary>
public enum Partitioning
{
    /// <summary>Subtask i sends to subtask i (same parallelism); chainable.</summary>
    Forward,

    /// <summary>Round-robin over all downstream subtasks.</summary>
    Rebalance,

    /// <summary>Every record to every downstream subtask.</summary>
    Broadcast,

    /// <summary>By key group of the record's key (KeyBy).</summary>
    Hash,
}
