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
/// A checkpoint pushed out stays in <see cref="Discarding"/> until the caller reports it
/// <see cref="Discarded"/>: while its <c>_metadata</c> may still be on storage it is complete there
/// (a restore may pick it), so the shared files it names must stay (<see cref="OldestOnStorage"/>).
/// </summary>
internal sealed class CompletedCheckpointStore(int numRetained)
{
    private readonly List<CompletedCheckpoint> _retained = [];
    private readonly List<CompletedCheckpoint> _discarding = [];

    public IReadOnlyList<CompletedCheckpoint> Retained => _retained;

    public CompletedCheckpoint? Latest => _retained.Count == 0 ? null : _retained[^1];

    /// <summary>Checkpoints no longer retained whose discard has not succeeded yet, oldest first.</summary>
    public IReadOnlyList<CompletedCheckpoint> Discarding => _discarding;

    /// <summary>The lowest id of a checkpoint that is retained or not yet discarded (may be complete on storage); null if none.</summary>
    public long? OldestOnStorage => _discarding.Count > 0 ? _discarding[0].CheckpointId : _retained.Count > 0 ? _retained[0].CheckpointId : null;

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
        Discard(subsumed);
        return subsumed;
    }

    /// <summary>Empties the store, returning everything it held (to be discarded, like subsumed ones).</summary>
    public IReadOnlyList<CompletedCheckpoint> Clear()
    {
        var all = _retained.ToArray();
        _retained.Clear();
        Discard(all);
        return all;
    }

    /// <summary>The caller made sure <paramref name="checkpoint"/> is gone from storage.</summary>
    public void Discarded(CompletedCheckpoint checkpoint) => _discarding.Remove(checkpoint);

    private void Discard(IEnumerable<CompletedCheckpoint> checkpoints)
    {
        _discarding.AddRange(checkpoints);
        _discarding.Sort(static (a, b) => a.CheckpointId.CompareTo(b.CheckpointId));
    }
}
