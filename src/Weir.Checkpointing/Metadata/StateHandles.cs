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

/// <summary>Which side of a task a channel's in-flight records were on when an unaligned checkpoint overtook them.</summary>
public enum ChannelStateKind : byte
{
    /// <summary>Records of an input channel the task had not processed before its snapshot (Flink's input channel state).</summary>
    Input = 0,

    /// <summary>Records the task had emitted that were not yet in the output channel (Flink's result subpartition state).</summary>
    Output = 1,
}

/// <summary>
/// The in-flight records of one channel in an unaligned checkpoint: a byte range of a file under
/// <c>chk-n/</c> holding them as encoded record batches, with the CRC-32C of those bytes.
/// <paramref name="Channel"/> is the task's input channel index, or its output channel index
/// counted over its output edges in order.
/// </summary>
public sealed record ChannelStateSegment(ChannelStateKind Kind, int Channel, string Path, long Offset, long Length, uint Checksum);

/// <summary>
/// The state of one operator subtask in a checkpoint. <see cref="ChannelState"/>: the records an
/// unaligned checkpoint's barriers overtook, held by the head operator of the subtask's chain
/// (empty for aligned checkpoints and savepoints).
/// </summary>
public sealed record SubtaskStateSnapshot(int SubtaskIndex, KeyedStateHandle? KeyedState, IReadOnlyList<OperatorListStateHandle> OperatorState)
{
    /// <summary>In-flight records of the subtask's channels (unaligned checkpoints only).</summary>
    public IReadOnlyList<ChannelStateSegment> ChannelState { get; init; } = [];

    /// <summary>Bytes of keyed, operator and channel state.</summary>
    public long StateSize => (KeyedState?.StateSize ?? 0) + OperatorState.Sum(s => s.StateSize) + ChannelState.Sum(c => c.Length);
}

/// <summary>The state of one operator (by its stable uid) in a checkpoint, for every subtask.</summary>
public sealed record OperatorStateSnapshot(string OperatorUid, string OperatorName, int Parallelism, int MaxParallelism, IReadOnlyList<SubtaskStateSnapshot> Subtasks)
{
    /// <summary>Bytes of all subtasks' state.</summary>
    public long StateSize => Subtasks.Sum(s => s.StateSize);

    /// <summary>True if a subtask holds in-flight records (an unaligned checkpoint).</summary>
    public bool HasChannelState => Subtasks.Any(s => s.ChannelState.Count > 0);
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

    /// <summary>True if the checkpoint holds in-flight records (unaligned, or turned unaligned somewhere after an alignment timeout).</summary>
    public bool HasChannelState => Operators.Any(o => o.HasChannelState);

    /// <summary>Every distinct file the checkpoint references.</summary>
    public IReadOnlySet<string> ReferencedFiles() =>
        Operators.SelectMany(o => o.Subtasks)
            .SelectMany(s => (s.KeyedState?.KeyGroups ?? []).SelectMany(k => k.Segments).Select(k => k.Path).Concat(s.ChannelState.Select(c => c.Path)))
            .ToHashSet(StringComparer.Ordinal);
}
