namespace Weir.Checkpointing.Coordinator;

/// <summary>One subtask of a job vertex (an operator chain): the unit that is triggered and acknowledges.</summary>
public readonly record struct TaskKey(string VertexId, int Subtask)
{
    /// <inheritdoc />
    public override string ToString() => $"{VertexId}#{Subtask}";
}

/// <summary>
/// What a subtask reports for a checkpoint: the state of each operator of its chain, by operator uid.
/// <paramref name="EndsStream"/>: a source at the end of its input, which ends its stream once this
/// checkpoint (or a later one) completes and sends no barrier after that.
/// </summary>
public sealed record TaskCheckpointAck(IReadOnlyDictionary<string, Metadata.SubtaskStateSnapshot> OperatorStates, TimeSpan SyncDuration, TimeSpan AsyncDuration, bool EndsStream = false)
{
    /// <summary>Bytes of state in the acknowledgement.</summary>
    public long StateSize => OperatorStates.Values.Sum(s => s.StateSize);
}
