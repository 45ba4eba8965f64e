namespace Weir.Checkpointing.Metadata;

/// <summary>What a state segment holds: a full copy of a key group's state, or the changes since the previous segment.</summary>
public enum SegmentKind : byte
{
    /// <summary>Every entry of the key group (a full snapshot or a materialization).</summary>
    Full = 0,

    /// <summary>Changes (puts, deletes, appends) to apply after the previous segment.</summary>
    Delta = 1,
}

/// <summary>
/// A byte range of a state file holding one key group's state or changes, with the CRC-32C of
/// those bytes. Shared files (incremental checkpoints) live under <c>shared/</c>; exclusive ones under <c>chk-n/</c>.
/// </summary>
public sealed record StateSegment(string Path, long Offset, long Length, uint Checksum, SegmentKind Kind);

/// <summary>The state of one key group: a full segment followed by zero or more deltas, applied in order.</summary>
public sealed record KeyGroupState(int KeyGroup, IReadOnlyList<StateSegment> Segments);

/// <summary>The keyed state of one operator subtask: its key-group range and the chains of the key groups that hold state.</summary>
public sealed record KeyedStateHandle(KeyGroupRange Range, IReadOnlyList<KeyGroupState> KeyGroups)
{
    /// <summary>Bytes referenced (a shared segment counts in every checkpoint that references it).</summary>
    public long StateSize => KeyGroups.Sum(k => k.Segments.Sum(s => s.Length));
}

/// <summary>How operator list state is redistributed when parallelism changes (Flink's even-split and union).</summary>
public enum OperatorStateDistribution : byte
{
    /// <summary>The items of all subtasks are split evenly over the new subtasks.</summary>
    EvenSplit = 0,

    /// <summary>Every new subtask gets all items of all old subtasks.</summary>
    Union = 1,
}

/// <summary>One named operator list state of a subtask, inlined in the metadata (source offsets are small).</summary>
public sealed record OperatorListStateHandle(string Name, OperatorStateDistribution Distribution, IReadOnlyList<byte[]> Items)
{
    /// <summary>Bytes of the items.</summary>
    public long StateSize => Items.Sum(i => (long)i.Length);
}

/// <summary>The state of one operator subtask in a checkpoint.</summary>
public sealed record SubtaskStateSnapshot(int SubtaskIndex, KeyedStateHandle? KeyedState, IReadOnlyList<OperatorListStateHandle> OperatorState)
{
    /// <summary>Bytes of keyed and operator state.</summary>
    public long StateSize => (KeyedState?.StateSize ?? 0) + OperatorState.Sum(s => s.StateSize);
}

/// <summary>The state of one operator (by its stable uid) in a checkpoint, for every subtask.</summary>
public sealed record OperatorStateSnapshot(string OperatorUid, string OperatorName, int Parallelism, int MaxParallelism, IReadOnlyList<SubtaskStateSnapshot> Subtasks)
{
    /// <summary>Bytes of all subtasks' state.</summary>
    public long StateSize => Subtasks.Sum(s => s.StateSize);
}

/// <summary>Whether a snapshot is a periodic checkpoint or a user-triggered savepoint.</summary>
public enum CheckpointKind : byte
{
    /// <summary>A periodic checkpoint owned by the job.</summary>
    Checkpoint = 0,

    /// <summary>A savepoint owned by the user.</summary>
    Savepoint = 1,
}

/// <summary>
/// The content of <c>chk-n/_metadata</c>: which state files make up checkpoint n. Written last,
/// create-only; a checkpoint directory without it is not a checkpoint.
/// </summary>
public sealed record CheckpointMetadata(
    long CheckpointId,
    DateTimeOffset Timestamp,
    string JobId,
    string JobName,
    CheckpointKind Kind,
    IReadOnlyList<OperatorStateSnapshot> Operators)
{
    /// <summary>Bytes of state referenced by the checkpoint.</summary>
    public long StateSize => Operators.Sum(o => o.StateSize);

    /// <summary>Every distinct file the checkpoint references.</summary>
    public IReadOnlySet<string> ReferencedFiles() =>
        Operators.SelectMany(o => o.Subtasks)
            .SelectMany(s => s.KeyedState?.KeyGroups ?? [])
            .SelectMany(k => k.Segments)
            .Select(s => s.Path)
            .ToHashSet(StringComparer.Ordinal);
}
