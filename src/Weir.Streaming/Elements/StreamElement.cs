using Weir.Checkpointing.Metadata;

namespace Weir.Streaming.Elements;

/// <summary>
/// What travels on a channel: batches of records, and in band with them the control elements
/// (barriers, watermarks, cancel markers, end of input). FIFO per channel keeps a barrier after
/// exactly the records that precede it.
/// </summary>
public abstract class StreamElement
{
    private protected StreamElement()
    {
    }
}

/// <summary>A batch of records (and, for event time, their timestamps). In one process it passes by reference and must not be changed after it is sent.</summary>
public abstract class RecordBatch : StreamElement
{
    /// <summary>"No timestamp" (Flink's StreamRecord without timestamp).</summary>
    public const long NoTimestamp = long.MinValue;

    private protected RecordBatch()
    {
    }

    /// <summary>Records in the batch.</summary>
    public abstract int Count { get; }

    /// <summary>
    /// The consumer is done with the batch: its arrays go back to the producer's pool (if it has
    /// one) to carry a later batch. Called once, by the task that processed the batch, after its
    /// last record; nothing may read the batch afterwards.
    /// </summary>
    internal abstract void Recycle();
}

/// <summary>A typed batch of records.</summary>
public sealed class RecordBatch<T> : RecordBatch
{
    private readonly Output.BatchArrayPool<T>? _pool;

    /// <summary>Creates a batch over <paramref name="records"/>[0..<paramref name="count"/>), with optional timestamps.</summary>
    public RecordBatch(T[] records, int count, long[]? timestamps)
        : this(records, count, timestamps, null)
    {
    }

    internal RecordBatch(T[] records, int count, long[]? timestamps, Output.BatchArrayPool<T>? pool)
    {
        Records = records;
        Count = count;
        Timestamps = timestamps;
        _pool = pool;
    }

    /// <summary>The records; only the first <see cref="Count"/> are valid.</summary>
    public T[] Records { get; }

    /// <summary>Per-record timestamps, or null if no record has one.</summary>
    public long[]? Timestamps { get; }

    /// <inheritdoc />
    public override int Count { get; }

    /// <summary>The timestamp of record <paramref name="index"/>, or <see cref="RecordBatch.NoTimestamp"/>.</summary>
    public long TimestampAt(int index) => Timestamps?[index] ?? NoTimestamp;

    internal override void Recycle() => _pool?.Return(Records, Timestamps);
}

/// <summary>
/// Checkpoint barrier n: everything before it on a channel belongs to checkpoint n, everything after to n+1.
/// An unaligned barrier (<see cref="Unaligned"/>) travels as a priority element, ahead of the records
/// queued in its channel; those it overtook are in <see cref="Overtaken"/> where it is read. An aligned
/// barrier with an <see cref="AlignmentTimeout"/> (Flink's <c>aligned-checkpoint-timeout</c>) becomes an
/// unaligned one once that long has passed since <see cref="Timestamp"/> while it still waits in a channel
/// (the channel promotes it, see <c>IPromotion</c>), and a task aligning it switches to unaligned then.
/// </summary>
public sealed class CheckpointBarrier(long checkpointId, DateTimeOffset timestamp, CheckpointKind kind, bool unaligned = false, TimeSpan? alignmentTimeout = null) : StreamElement
{
    /// <summary>The checkpoint id.</summary>
    public long CheckpointId { get; } = checkpointId;

    /// <summary>When the coordinator triggered it.</summary>
    public DateTimeOffset Timestamp { get; } = timestamp;

    /// <summary>Checkpoint or savepoint.</summary>
    public CheckpointKind Kind { get; } = kind;

    /// <summary>True for an unaligned checkpoint's barrier: it overtakes records, which the checkpoint keeps as channel state.</summary>
    public bool Unaligned { get; } = unaligned;

    /// <summary>
    /// For an aligned barrier: how long after <see cref="Timestamp"/> it may wait behind records before
    /// it overtakes them as an unaligned barrier; null (always, for unaligned barriers and savepoints): never.
    /// </summary>
    public TimeSpan? AlignmentTimeout { get; } = unaligned ? null : alignmentTimeout;

    /// <summary>The elements queued in the channel that this barrier overtook, oldest first (an unaligned barrier as read; otherwise empty).</summary>
    public IReadOnlyList<StreamElement> Overtaken { get; private init; } = [];

    /// <summary>This barrier as it arrives ahead of <paramref name="overtaken"/> in one channel.</summary>
    public CheckpointBarrier Overtaking(StreamElement[] overtaken) =>
        overtaken.Length == 0 && Overtaken.Count == 0 ? this : new(CheckpointId, Timestamp, Kind, Unaligned) { Overtaken = overtaken };

    /// <summary>True if this is an aligned barrier whose alignment timeout has passed at <paramref name="now"/>.</summary>
    public bool IsAlignmentTimedOut(DateTimeOffset now) => AlignmentTimeout is { } timeout && now - Timestamp >= timeout;

    /// <summary>This aligned barrier, timed out, as the unaligned barrier that overtakes <paramref name="overtaken"/>.</summary>
    public CheckpointBarrier AsUnaligned(StreamElement[] overtaken) => new(CheckpointId, Timestamp, Kind, unaligned: true) { Overtaken = overtaken };

    /// <summary>
    /// How a channel's priority write makes its element (see <c>OrderedChannel.WritePriority</c>):
    /// a barrier learns what it overtook; anything else (a cancel marker) goes as it is.
    /// </summary>
    public static StreamElement Overtaking(StreamElement element, StreamElement[] overtaken) =>
        element is CheckpointBarrier barrier ? barrier.Overtaking(overtaken) : element;

    /// <inheritdoc />
    public override string ToString() => Unaligned ? $"unaligned barrier {CheckpointId}" : AlignmentTimeout is { } timeout ? $"barrier {CheckpointId} (unaligned after {timeout.TotalMilliseconds} ms)" : $"barrier {CheckpointId}";
}

/// <summary>Tells downstream tasks that checkpoint n was aborted upstream, so they stop aligning for it.</summary>
public sealed class CancelCheckpointMarker(long checkpointId) : StreamElement
{
    /// <summary>The aborted checkpoint.</summary>
    public long CheckpointId { get; } = checkpointId;
}

/// <summary>Event time has reached <see cref="Timestamp"/> on this channel: no record with a smaller timestamp follows (except late ones).</summary>
public sealed class Watermark(long timestamp) : StreamElement
{
    /// <summary>The watermark at the end of time (emitted at end of input).</summary>
    public static readonly Watermark MaxWatermark = new(long.MaxValue);

    /// <summary>The event time in milliseconds.</summary>
    public long Timestamp { get; } = timestamp;

    /// <inheritdoc />
    public override string ToString() => $"watermark {Timestamp}";
}

/// <summary>Whether a channel is idle: an idle channel does not hold back the watermark.</summary>
public sealed class WatermarkStatus(bool idle) : StreamElement
{
    /// <summary>Idle.</summary>
    public static readonly WatermarkStatus Idle = new(true);

    /// <summary>Active.</summary>
    public static readonly WatermarkStatus Active = new(false);

    /// <summary>True if idle.</summary>
    public bool IsIdle { get; } = idle;
}

/// <summary>The producer finished: nothing more follows on this channel.</summary>
public sealed class EndOfInput : StreamElement
{
    /// <summary>The one instance.</summary>
    public static readonly EndOfInput Instance = new();

    private EndOfInput()
    {
    }
}
