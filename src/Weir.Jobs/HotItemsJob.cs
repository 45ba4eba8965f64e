using System.Globalization;
using Weir.Checkpointing.Configuration;
using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.Sinks;
using Weir.Streaming.Sources;
using Weir.Streaming.State;
using Weir.Streaming.Watermarks;
using Weir.Streaming.Windowing;

namespace Weir.Jobs;

/// <summary>
/// Hot items: a bid stream in event time; a sliding window of 10 s every 2 s counts bids per
/// item; per window the items with the most bids are printed. Bids come from a seeded generator
/// (skewed item popularity), 1,000 per second per partition unless <c>--rate</c> says otherwise,
/// with timestamps that advance with the bid index and arrive up to 500 ms out of order.
/// </summary>
public sealed class HotItemsJob : BuiltInJob
{
    /// <summary>Items reported per window.</summary>
    public const int TopN = 3;

    /// <summary>Event time of the first bid: 2026-01-01T00:00:00Z.</summary>
    public const long Epoch = 1_767_225_600_000;

    /// <inheritdoc />
    public override string Name => "hot-items";

    /// <inheritdoc />
    public override string Description => "bids -> sliding window 10s/2s counting bids per item -> top items per window";

    /// <inheritdoc />
    public override JobRun Create(JobParameters parameters, WeirOptions options)
    {
        var parallelism = parameters.Parallelism ?? options.Pipeline.DefaultParallelism;
        var env = StreamExecutionEnvironment.Create(parallelism, options.Pipeline.MaxParallelism, options.Pipeline.OperatorChaining);
        env.AutoWatermarkInterval = options.Pipeline.AutoWatermarkInterval;
        var perPartitionRate = parameters.RecordsPerSecond ?? 1000;
        var partitions = parameters.Partitions ?? 4;
        var seed = parameters.Seed;
        HotItems(env, Bids(env, seed, partitions, perPartitionRate, null), TopN)
            .AddSink(new ConsoleSink<HotItemsResult>(), "print")
            .Uid("print");
        return new JobRun(env.Build(Name));
    }

    /// <summary>The bid source with event time from each bid, watermarks per partition, up to 500 ms out of order.</summary>
    public static DataStream<Bid> Bids(StreamExecutionEnvironment env, int seed, int partitions, double perPartitionRate, long? bidsPerPartition) =>
        env.AddSource(
                new GeneratorSource<Bid>((p, i) => NewBid(seed, p, i, perPartitionRate), partitions, bidsPerPartition, recordsPerSecond: perPartitionRate * Math.Max(1, partitions / env.DefaultParallelism)),
                "bids",
                WatermarkStrategy<Bid>.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(500)).WithTimestampAssigner(b => b.Timestamp))
            .Uid("bids");

    /// <summary>The pipeline after the source (shared with tests).</summary>
    public static DataStream<HotItemsResult> HotItems(StreamExecutionEnvironment env, DataStream<Bid> bids, int topN) =>
        bids.KeyBy(b => b.ItemId)
            .Window(SlidingEventTimeWindows.Of(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2)))
            .Aggregate(
                new AggregateFunction<Bid, long, long>(() => 0, (_, count) => count + 1, count => count, (a, b) => a + b),
                new ProcessWindowFunctionAdapter<long, ItemCount, long>((item, context, counts, output) => output.Collect(new ItemCount(item, context.Window.End, counts.Single()))),
                "count bids")
            .Uid("count-bids")
            .KeyBy(c => c.WindowEnd)
            .Process(new TopItems(topN), "top items")
            .Uid("top-items");

    /// <summary>The bid at (partition, index).</summary>
    public static Bid NewBid(int seed, int partition, long index, double perPartitionRate)
    {
        var h = Mix((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)partition * 0xC2B2AE3D27D4EB4FUL ^ (ulong)index);
        var item = (long)Math.Pow(1000, (h >> 11) * (1.0 / (1UL << 53)));
        var jitter = (long)(h % 500);
        var time = Epoch + (long)(index * 1000 / perPartitionRate) - jitter;
        return new Bid(item, (long)(h >> 40) % 10_000, time);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A bid: item, price (cents), event time (epoch ms).</summary>
    public sealed record Bid(long ItemId, long Price, long Timestamp);

    /// <summary>Bids on an item in the window ending at <see cref="WindowEnd"/>.</summary>
    public sealed record ItemCount(long ItemId, long WindowEnd, long Count);

    /// <summary>The hottest items of one window.</summary>
    public sealed record HotItemsResult(long WindowEnd, IReadOnlyList<ItemCount> Items)
    {
        /// <inheritdoc />
        public override string ToString() =>
            $"hot items in [{Time(WindowEnd - 10_000)}, {Time(WindowEnd)}): " + string.Join(", ", Items.Select(i => $"item {i.ItemId} ({i.Count} bids)"));

        private static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
    }

    /// <summary>Collects a window's item counts and emits the top N when the watermark passes the window's end.</summary>
    internal sealed class TopItems(int n) : KeyedProcessFunction<long, ItemCount, HotItemsResult>
    {
        private IListState<ItemCount>? _counts;

        public override void Open(IKeyedRuntimeContext context) => _counts = context.GetListState(new ListStateDescriptor<ItemCount>("counts"));

        public override void ProcessElement(ItemCount value, Context context, ICollector<HotItemsResult> output)
        {
            _counts!.Add(value);
            context.TimerService.RegisterEventTimeTimer(value.WindowEnd);
        }

        public override void OnTimer(long timestamp, Context context, ICollector<HotItemsResult> output)
        {
            var top = _counts!.Get().OrderByDescending(c => c.Count).ThenBy(c => c.ItemId).Take(n).ToArray();
            _counts.Clear();
            output.Collect(new HotItemsResult(context.CurrentKey, top));
        }
    }
}
