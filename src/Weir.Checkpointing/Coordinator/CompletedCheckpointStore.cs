using Weir.Checkpointing.Metadata;

namespace Weir.Checkpointing.Coordinator;

/// <summary>A checkpoint whose <c>_metadata</c> was written.</summary>
public sealed record CompletedCheckpoint(CheckpointMetadata Metadata, string MetadataPath, DateTimeOffset CompletedAt, TimeSpan Duration, long StateSize)
{
    /// <summary>The checkpoint id.</summary>
    public long CheckpointId => Metadata.CheckpointId;
}

/// <summary>
/// Keeps the newest <c>num-retained</c> completed checkpoints; adding one returns those it pushes
/// out, for the caller to discard. (What to keep is decided here; deleting files is not.)
/// </summary>
internal sealed class CompletedCheckpointStore(int numRetained)
{
    private readonly List<CompletedCheckpoint> _retained = [];

    public IReadOnlyList<CompletedCheckpoint> Retained => _retained;

    public CompletedCheckpoint? Latest => _retained.Count == 0 ? null : _retained[^1];

    public IReadOnlyList<CompletedCheckpoint> Add(CompletedCheckpoint checkpoint)
    {
        if (Latest is { } latest && checkpoint.CheckpointId <= latest.CheckpointId)
        {
            throw new InvalidOperationException($"Checkpoint {checkpoint.CheckpointId} completed after checkpoint {latest.CheckpointId}: ids must increase.");
        }

        _retained.Add(checkpoint);
        var excess = _retained.Count - numRetained;
        if (excess <= 0)
        {
            return [];
        }

        var subsumed = _retained.GetRange(0, excess);
        _retained.RemoveRange(0, excess);
        return subsumed;
    }

    /// <summary>Empties the store, returning everything it held.</summary>
    public IReadOnlyList<CompletedCheckpoint> Clear()
    {
        var all = _retained.ToArray();
        _retained.Clear();
        return all;
    }
}
