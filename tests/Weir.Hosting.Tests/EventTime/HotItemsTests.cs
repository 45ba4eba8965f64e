using Weir.Jobs;
using Weir.Streaming.Api;
using Weir.Streaming.Sinks;
using Weir.Streaming.Windowing;
using static Weir.Hosting.Tests.EventTime.EventTimeTestKit;
using static Weir.Jobs.HotItemsJob;

namespace Weir.Hosting.Tests.EventTime;

/// <summary>The hot-items pipeline against the top items computed directly from the same bids.</summary>
public sealed class HotItemsTests
{
    [Fact]
    public async Task Hot_items_per_sliding_window_equal_the_reference()
    {
        await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "50ms"));
        const int partitions = 4;
        const long perPartition = 3_000;
        const double rate = 1000;
        var sink = Sink("hot-items");
        var env = StreamExecutionEnvironment.Create(defaultParallelism: 2);
        env.AutoWatermarkInterval = TimeSpan.FromMilliseconds(20);
        HotItems(env, Bids(env, seed: 7, partitions, perPartitionRate: rate * 50, perPartition), TopN).AddSink(new CollectingSink<HotItemsResult>(sink));
        var results = await RunAsync<HotItemsResult>(silo, env.Build("hot-items-test"), sink);

        var bids = Enumerable.Range(0, partitions).SelectMany(p => Enumerable.Range(0, (int)perPartition).Select(i => NewBid(7, p, i, rate * 50))).ToArray();
        var assigner = SlidingEventTimeWindows.Of(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2));
        var expected = bids
            .SelectMany(b => assigner.AssignWindows(b.Timestamp).Select(w => (b.ItemId, w.End)))
            .GroupBy(x => x)
            .Select(g => new ItemCount(g.Key.ItemId, g.Key.End, g.Count()))
            .GroupBy(c => c.WindowEnd)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(c => c.Count).ThenBy(c => c.ItemId).Take(TopN).ToArray());

        Assert.Equal(expected.Count, results.Count);
        foreach (var result in results)
        {
            Assert.Equal(expected[result.WindowEnd], result.Items);
        }
    }
}
