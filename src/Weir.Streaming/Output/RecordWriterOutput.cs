using Weir.Streaming.Elements;
using Weir.Streaming.Operators;

namespace Weir.Streaming.Output;

/// <summary>
/// The network end of a chain for one downstream edge: picks a channel per record (the edge's
/// partitioning), appends to that channel's batch, and sends the batch when it is full or when
/// the task flushes (before control elements, and when its input runs dry).
/// </summary>
internal sealed class RecordWriterOutput<T> : IOutput<T>, IRecordWriter
{
    private readonly ChannelSender[] _senders;
    private readonly Partitioning _partitioning;
    private readonly Func<T, int>? _keyGroupOf;
    private readonly int _maxParallelism;
    private readonly int _batchSize;
    private readonly BatchArrayPool<T> _pool;
    private readonly T[]?[] _records;
    private readonly long[]?[] _timestamps;
    private readonly int[] _counts;
    private int _nextChannel;
    private IStreamElementCodec? _codec;

    public RecordWriterOutput(ChannelSender[] senders, Partitioning partitioning, Func<T, int>? keyGroupOf, int maxParallelism, int batchSize, int subtaskIndex)
    {
        _senders = senders;
        _partitioning = partitioning;
        _keyGroupOf = keyGroupOf;
        _maxParallelism = maxParallelism;
        _batchSize = batchSize;

        // Enough for every batch a channel can hold, plus the ones being filled and processed.
        _pool = new BatchArrayPool<T>(batchSize, capacity: (senders.Length * 2) + 16);
        _records = new T[]?[senders.Length];
        _timestamps = new long[]?[senders.Length];
        _counts = new int[senders.Length];
        _nextChannel = subtaskIndex % senders.Length;
        if (partitioning == Partitioning.Hash && keyGroupOf is null)
        {
            throw new ArgumentException("A hash-partitioned edge needs a key selector.", nameof(keyGroupOf));
        }
    }

    public long RecordsOut { get; private set; }

    public void Collect(T record, long timestamp)
    {
        RecordsOut++;
        switch (_partitioning)
        {
            case Partitioning.Forward:
                Append(0, record, timestamp);
                break;
            case Partitioning.Hash:
                var keyGroup = _keyGroupOf!(record);
                Append((int)((long)keyGroup * _senders.Length / _maxParallelism), record, timestamp);
                break;
            case Partitioning.Rebalance:
                Append(_nextChannel, record, timestamp);
                _nextChannel = _nextChannel + 1 == _senders.Length ? 0 : _nextChannel + 1;
                break;
            default:
                for (var channel = 0; channel < _senders.Length; channel++)
                {
                    Append(channel, record, timestamp);
                }

                break;
        }
    }

    public void EmitWatermark(Watermark watermark) => Broadcast(watermark);

    public void EmitStatus(WatermarkStatus status) => Broadcast(status);

    /// <summary>Sends every partial batch.</summary>
    public void Flush()
    {
        for (var channel = 0; channel < _senders.Length; channel++)
        {
            FlushChannel(channel);
        }
    }

    /// <summary>Flushes, then sends a control element on every channel.</summary>
    public void Broadcast(StreamElement element)
    {
        Flush();
        foreach (var sender in _senders)
        {
            sender.Send(element);
        }
    }

    /// <inheritdoc />
    public int ChannelCount => _senders.Length;

    /// <inheritdoc />
    public IStreamElementCodec Codec => _codec ??= new StreamElementCodec<T>();

    /// <inheritdoc />
    public StreamElement[] SendPriority(int channel, StreamElement element) => _senders[channel].SendPriority(element);

    public bool HasPending
    {
        get
        {
            foreach (var sender in _senders)
            {
                if (sender.HasPending)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public bool TrySendPending()
    {
        var done = true;
        foreach (var sender in _senders)
        {
            done &= sender.TrySendPending();
        }

        return done;
    }

    /// <inheritdoc />
    public void Resend(int channel, StreamElement element) => _senders[channel].Send(element);

    public bool IsWaiting(int channel, CheckpointBarrier barrier) => _senders[channel].IsWaiting(barrier);

    public StreamElement[]? Promote(int channel, CheckpointBarrier barrier) => _senders[channel].Promote(barrier);

    private void Append(int channel, T record, long timestamp)
    {
        var records = _records[channel] ??= _pool.RentRecords();
        var count = _counts[channel];
        records[count] = record;
        if (timestamp != RecordBatch.NoTimestamp || _timestamps[channel] is not null)
        {
            var timestamps = _timestamps[channel] ??= _pool.RentTimestamps(count);
            timestamps[count] = timestamp;
        }

        _counts[channel] = ++count;
        if (count == _batchSize)
        {
            FlushChannel(channel);
        }
    }

    private void FlushChannel(int channel)
    {
        var count = _counts[channel];
        if (count == 0)
        {
            return;
        }

        _senders[channel].Send(new RecordBatch<T>(_records[channel]!, count, _timestamps[channel], _pool));
        _records[channel] = null;
        _timestamps[channel] = null;
        _counts[channel] = 0;
    }
}

/// <summary>The type-erased face of a record writer that the task flushes and sends control elements through.</summary>
internal interface IRecordWriter
{
    long RecordsOut { get; }

    bool HasPending { get; }

    void Flush();

    void Broadcast(StreamElement element);

    bool TrySendPending();

    /// <summary>The writer's channels (of its edge).</summary>
    int ChannelCount { get; }

    /// <summary>The encoding of the edge's elements (for channel state).</summary>
    IStreamElementCodec Codec { get; }

    /// <summary>
    /// Sends a priority element on <paramref name="channel"/>, ahead of what waits to be sent there
    /// (flush partial batches first); returns the elements it overtook in the writer.
    /// </summary>
    StreamElement[] SendPriority(int channel, StreamElement element);

    /// <summary>Queues <paramref name="element"/> on <paramref name="channel"/> ahead of anything the task emits (restored channel state).</summary>
    void Resend(int channel, StreamElement element);

    /// <summary>True if aligned <paramref name="barrier"/> waits in the writer for <paramref name="channel"/>'s credit.</summary>
    bool IsWaiting(int channel, CheckpointBarrier barrier);

    /// <summary>
    /// Sends aligned <paramref name="barrier"/>, still waiting for <paramref name="channel"/>'s credit past its
    /// alignment timeout, as an unaligned barrier ahead of what waits; returns the elements it overtook in the
    /// writer, or null if it was sent in line meanwhile.
    /// </summary>
    StreamElement[]? Promote(int channel, CheckpointBarrier barrier);
}

/// <summary>A task's output channels, one numbering for all its writers.</summary>
internal static class RecordWriters
{
    /// <summary>Every output channel of a task, over its writers in order: how output channel state numbers them.</summary>
    public static (IRecordWriter Writer, int Channel)[] Channels(this IEnumerable<IRecordWriter> writers) =>
        [.. writers.SelectMany(writer => Enumerable.Range(0, writer.ChannelCount).Select(channel => (writer, channel)))];
}
