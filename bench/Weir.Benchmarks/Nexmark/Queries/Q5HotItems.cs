using Weir.Benchmarks.Nexmark.Model;
using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.State;
using Weir.Streaming.Windowing;

namespace Weir.Benchmarks.Nexmark.Queries;

/// <summary>
/// q5, hot items: per sliding window of 10 s every 2 s, the auctions with the most bids
/// (<c>HOP(bid, 2 s, 10 s)</c>, count per auction, joined with the window's maximum count on
/// <c>num >= maxn</c>: every auction tied at the top).
///
/// Two keyed stages: a sliding event-time window per auction counts its bids (a count with a merge
/// function, so Weir computes it from 2 s panes, as Flink's planner slices HOP windows); then, keyed
/// by window, the count records of one window keep the running maximum and the auctions that reach
/// it, emitted when the watermark passes the window's end. Rows carry the window's start and end
/// besides the SQL's <c>auction, num</c>.
/// </summary>
public sealed class Q5HotItems : NexmarkQuery
{
    /// <summary>Window size.</summary>
    public static readonly TimeSpan Size = TimeSpan.FromSeconds(10);

    /// <summary>Window slide.</summary>
    public static readonly TimeSpan Slide = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    public override string Name => "q5";

    /// <inheritdoc />
    public override string Description => "hot items: auctions with the most bids per sliding window (10 s every 2 s)";

    /// <inheritdoc />
    public override bool UsesEventTime => true;

    /// <inheritdoc />
    public override void Build(DataStream<Event> events, IResultSinks sinks) => sinks.Add(
        Counts(events)
            .KeyBy(c => c.EndTime)
            .Process(new TopAuctions(), "auctions at the window's maximum")
            .Uid("q5-top"),
        Name);

    /// <summary>The first stage: bids per auction per window.</summary>
    public static DataStream<AuctionCount> Counts(DataStream<Event> events) =>
        Bids(events)
            .KeyBy(b => b.Auction)
            .Window(SlidingEventTimeWindows.Of(Size, Slide))
            .Aggregate(
                new AggregateFunction<Bid, long, long>(() => 0, (_, count) => count + 1, count => count, (a, b) => a + b),
                new ProcessWindowFunctionAdapter<long, AuctionCount, long>((auction, window, counts, output) =>
                {
                    foreach (var count in counts)
                    {
                        output.Collect(new AuctionCount(auction, count, window.Window.Start, window.Window.End));
                    }
                }),
                "count bids per auction")
            .Uid("q5-count");

    /// <summary>One window: the highest count so far and the auctions that have it; emitted at the window's end.</summary>
    private sealed class TopAuctions : KeyedProcessFunction<long, AuctionCount, Q5Row>
    {
        private IValueState<(long StartTime, long MaxNum, long[] Auctions)>? _top;

        public override void Open(IKeyedRuntimeContext context) =>
            _top = context.GetState(new ValueStateDescriptor<(long StartTime, long MaxNum, long[] Auctions)>("top"));

        public override void ProcessElement(AuctionCount value, Context context, ICollector<Q5Row> output)
        {
            var top = _top!.Value;
            if (top.Auctions is null)
            {
                // The window's results carry its last millisecond; every count of it arrives before the watermark passes it.
                context.TimerService.RegisterEventTimeTimer(value.EndTime - 1);
            }

            if (top.Auctions is null || value.Num > top.MaxNum)
            {
                _top.Update((value.StartTime, value.Num, [value.Auction]));
            }
            else if (value.Num == top.MaxNum)
            {
                _top.Update(top with { Auctions = [.. top.Auctions, value.Auction] });
            }
        }

        public override void OnTimer(long timestamp, Context context, ICollector<Q5Row> output)
        {
            var top = _top!.Value;
            foreach (var auction in top.Auctions ?? [])
            {
                output.Collect(new Q5Row(auction, top.MaxNum, top.StartTime, context.CurrentKey));
            }

            _top.Clear();
        }
    }
}
