namespace Weir.Streaming.Output;

/// <summary>
/// The arrays of a record writer's batches, reused: a consumer in this process returns a batch's
/// arrays when it has processed the batch (<see cref="Elements.RecordBatch.Recycle"/>), and the
/// writer fills them again instead of allocating about <c>batch size × record size</c> bytes per
/// batch, which, with batches waiting in channels, also survived into the older GC generations.
/// Batches that leave the process (encoded for another silo) are never returned; the writer then
/// allocates. Thread-safe: the writer rents on its task's thread, consumers return on theirs.
/// </summary>
internal sealed class BatchArrayPool<T>(int batchSize, int capacity)
{
    private readonly object _lock = new();
    private readonly Stack<T[]> _records = new(capacity);
    private readonly Stack<long[]> _timestamps = new(capacity);

    public int BatchSize { get; } = batchSize;

    public T[] RentRecords()
    {
        lock (_lock)
        {
            if (_records.TryPop(out var records))
            {
                return records;
            }
        }

        return new T[BatchSize];
    }

    /// <summary>A timestamp array, with the first <paramref name="filled"/> entries set to "no timestamp".</summary>
    public long[] RentTimestamps(int filled)
    {
        long[]? timestamps;
        lock (_lock)
        {
            _timestamps.TryPop(out timestamps);
        }

        timestamps ??= new long[BatchSize];
        timestamps.AsSpan(0, filled).Fill(Elements.RecordBatch.NoTimestamp);
        return timestamps;
    }

    public void Return(T[] records, long[]? timestamps)
    {
        if (records.Length != BatchSize)
        {
            return;
        }

        // Stale references in a pooled array would keep records alive only until it is filled again,
        // and the pool is small; clearing would cost what allocating costs.
        lock (_lock)
        {
            if (_records.Count < capacity)
            {
                _records.Push(records);
            }

            if (timestamps is { Length: var length } && length == BatchSize && _timestamps.Count < capacity)
            {
                _timestamps.Push(timestamps);
            }
        }
    }
}
