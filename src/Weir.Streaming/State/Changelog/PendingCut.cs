namespace Weir.Streaming.State.Changelog;

/// <summary>A checkpoint cut by a subtask's changelog and not yet completed or aborted: the files its state names.</summary>
internal sealed class PendingCut(long checkpointId, IReadOnlyCollection<ChangelogFile> files)
{
    private int _acknowledged;

    public long CheckpointId { get; } = checkpointId;

    public IReadOnlyCollection<ChangelogFile> Files { get; } = files;

    /// <summary>True once the state was handed to an acknowledgement about to be sent (any thread): the coordinator may know these files.</summary>
    public bool Acknowledged => Volatile.Read(ref _acknowledged) == 1;

    public void MarkAcknowledged() => Volatile.Write(ref _acknowledged, 1);
}
