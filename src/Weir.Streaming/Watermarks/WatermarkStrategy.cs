namespace Weir.Streaming.Watermarks;

/// <summary>
/// How a stream gets event time (Flink's WatermarkStrategy): a timestamp per record, a watermark
/// generator, and optional idleness. Apply it with <c>AssignTimestampsAndWatermarks</c>.
/// </summary>
public sealed class WatermarkStrategy<T>
{
    private WatermarkStrategy(Func<IWatermarkGenerator<T>> generator, Func<T, long, long>? timestampAssigner, TimeSpan? idleness)
    {
        CreateGenerator = generator;
        TimestampAssigner = timestampAssigner;
        Idleness = idleness;
    }

    internal Func<IWatermarkGenerator<T>> CreateGenerator { get; }

    internal Func<T, long, long>? TimestampAssigner { get; }

    internal TimeSpan? Idleness { get; }

    /// <summary>Watermarks trail the highest timestamp seen by <paramref name="maxOutOfOrderness"/>: records at most that late are on time.</summary>
    public static WatermarkStrategy<T> ForBoundedOutOfOrderness(TimeSpan maxOutOfOrderness)
    {
        if (maxOutOfOrderness < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(maxOutOfOrderness), maxOutOfOrderness, "The out-of-orderness bound must not be negative.");
        }

        var bound = (long)maxOutOfOrderness.TotalMilliseconds;
        return new(() => new BoundedOutOfOrdernessWatermarks<T>(bound), null, null);
    }

    /// <summary>Timestamps never decrease: the watermark is the highest timestamp seen.</summary>
    public static WatermarkStrategy<T> ForMonotonousTimestamps() => ForBoundedOutOfOrderness(TimeSpan.Zero);

    /// <summary>A custom generator.</summary>
    public static WatermarkStrategy<T> ForGenerator(Func<IWatermarkGenerator<T>> generator) => new(generator, null, null);

    /// <summary>Takes each record's timestamp from the record (the second argument is the timestamp it already has, or <see cref="long.MinValue"/>).</summary>
    public WatermarkStrategy<T> WithTimestampAssigner(Func<T, long, long> assigner) => new(CreateGenerator, assigner, Idleness);

    /// <summary>Takes each record's timestamp from the record.</summary>
    public WatermarkStrategy<T> WithTimestampAssigner(Func<T, long> assigner) => WithTimestampAssigner((record, _) => assigner(record));

    /// <summary>Marks the stream idle after <paramref name="timeout"/> without records, so it does not hold back the watermark downstream.</summary>
    public WatermarkStrategy<T> WithIdleness(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The idleness timeout must be positive.");
        }

        return new(CreateGenerator, TimestampAssigner, timeout);
    }
}

/// <summary>Generates watermarks from the records it sees (Flink's WatermarkGenerator).</summary>
public interface IWatermarkGenerator<in T>
{
    /// <summary>Called for every record with its timestamp.</summary>
    void OnEvent(T record, long timestamp, IWatermarkOutput output);

    /// <summary>Called every <c>pipeline.auto-watermark-interval</c>.</summary>
    void OnPeriodicEmit(IWatermarkOutput output);
}

/// <summary>Where a generator emits watermarks; a watermark not above the last one is ignored.</summary>
public interface IWatermarkOutput
{
    /// <summary>Emits a watermark (milliseconds).</summary>
    void EmitWatermark(long timestamp);
}

/// <summary>Watermark = highest timestamp seen - bound - 1 (so records at exactly the bound are still on time).</summary>
internal sealed class BoundedOutOfOrdernessWatermarks<T>(long bound) : IWatermarkGenerator<T>
{
    private long _maxTimestamp = long.MinValue;

    public void OnEvent(T record, long timestamp, IWatermarkOutput output) => _maxTimestamp = Math.Max(_maxTimestamp, timestamp);

    public void OnPeriodicEmit(IWatermarkOutput output)
    {
        if (_maxTimestamp != long.MinValue)
        {
            output.EmitWatermark(_maxTimestamp - bound - 1);
        }
    }
}
