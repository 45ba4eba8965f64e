using Weir.Benchmarks.Nexmark.Model;
using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.State;

namespace Weir.Benchmarks.Nexmark.Queries;

/// <summary>
/// q4, average price per category: the winning bid of an auction is its highest bid made while
/// it was open (<c>B.dateTime BETWEEN A.dateTime AND A.expires</c>); per category, the average of
/// the winning bids (<c>AVG</c> of BIGINT: truncated, as Flink's).
///
/// Two keyed stages. By auction id: the auction's category and times, and the highest price of
/// the bids inside them; bids that arrive before their auction (the generator bids on up to ten
/// auctions not yet opened) wait, each under a timer at its time, until the watermark passes it (no
/// auction not yet seen can open before the watermark) or the auction comes and takes them with
/// their timers, so an open auction keeps one timer, its expiry. The winner is emitted when
/// the watermark passes the auction's expiry. By category: the running sum and count, emitting the
/// average after every winner.
///
/// Simplification: Flink's SQL is a regular join with updating aggregates: it revises an auction's
/// maximum (and its category's average) with every bid, retracting the old value. Here an
/// auction's winner counts once, when the auction closes in event time (as in the original Nexmark,
/// which averages closed auctions; without its reserve-price condition, which the SQL drops too).
/// The averages after the last event are the SQL's final ones: at the end of input the watermark
/// closes every auction.
/// </summary>
public sealed class Q4AveragePriceByCategory : NexmarkQuery
{
    /// <inheritdoc />
    public override string Name => "q4";

    /// <inheritdoc />
    public override string Description => "average price per category: highest bid while open per auction, averaged per category";

    /// <inheritdoc />
    public override bool UsesEventTime => true;

    /// <inheritdoc />
    public override void Build(DataStream<Event> events, IResultSinks sinks) => sinks.Add(Winners(events).KeyBy(w => w.Category).Process(new CategoryAverage(), "average per category").Uid("q4-average"), Name);

    /// <summary>The first stage: one winner per auction that had a bid while open.</summary>
    public static DataStream<Q4Winner> Winners(DataStream<Event> events) =>
        events
            .Filter(e => e.Type != EventType.Person, "auctions, bids")
            .KeyBy(e => e.Type == EventType.Bid ? e.Bid.Auction : e.Auction!.Id)
            .Process(new WinningBid(), "winning bid")
            .Uid("q4-winning-bid");

    /// <summary>One auction: its category and times, its highest price so far (-1: none), and the bids that came before it.</summary>
    private sealed class WinningBid : KeyedProcessFunction<long, Event, Q4Winner>
    {
        private IValueState<(long Category, long Opened, long Expires, long MaxPrice)>? _auction;
        private IListState<(long DateTime, long Price)>? _early;

        public override void Open(IKeyedRuntimeContext context)
        {
            _auction = context.GetState(new ValueStateDescriptor<(long Category, long Opened, long Expires, long MaxPrice)>("auction"));
            _early = context.GetListState(new ListStateDescriptor<(long DateTime, long Price)>("bids-before-auction"));
        }

        public override void ProcessElement(Event value, Context context, ICollector<Q4Winner> output)
        {
            if (value.Auction is { } auction)
            {
                var max = -1L;
                foreach (var (time, price) in _early!.Get())
                {
                    if (time >= auction.DateTime && time <= auction.Expires)
                    {
                        max = Math.Max(max, price);
                    }

                    // The bid waited for this auction under a timer of its own, which has nothing left to clean up.
                    context.TimerService.DeleteEventTimeTimer(time);
                }

                _early.Clear();
                _auction!.Update((auction.Category, auction.DateTime, auction.Expires, max));
                context.TimerService.RegisterEventTimeTimer(auction.Expires);
                return;
            }

            var bid = value.Bid;
            var open = _auction!.Value;
            if (open.Expires != 0)
            {
                if (bid.DateTime >= open.Opened && bid.DateTime <= open.Expires && bid.Price > open.MaxPrice)
                {
                    _auction.Update(open with { MaxPrice = bid.Price });
                }
            }
            else if (bid.DateTime > context.TimerService.CurrentWatermark)
            {
                // The auction may still come, opening at or before this bid: keep the bid until the watermark passes it.
                _early!.Add((bid.DateTime, bid.Price));
                context.TimerService.RegisterEventTimeTimer(bid.DateTime);
            }
        }

        public override void OnTimer(long timestamp, Context context, ICollector<Q4Winner> output)
        {
            var open = _auction!.Value;
            if (open.Expires == timestamp)
            {
                if (open.MaxPrice >= 0)
                {
                    output.Collect(new Q4Winner(context.CurrentKey, open.Category, open.MaxPrice));
                }

                _auction.Clear();
            }
            else if (open.Expires == 0)
            {
                // Bids whose time the watermark passed cannot meet their auction any more.
                var kept = _early!.Get().Where(b => b.DateTime > timestamp).ToArray();
                _early.Update(kept);
            }
        }
    }

    /// <summary>One category: the sum and count of its winners.</summary>
    private sealed class CategoryAverage : KeyedProcessFunction<long, Q4Winner, Q4Row>
    {
        private IValueState<(long Sum, long Count)>? _totals;

        public override void Open(IKeyedRuntimeContext context) =>
            _totals = context.GetState(new ValueStateDescriptor<(long Sum, long Count)>("sum-count"));

        public override void ProcessElement(Q4Winner value, Context context, ICollector<Q4Row> output)
        {
            var (sum, count) = _totals!.Value;
            sum += value.Price;
            count++;
            _totals.Update((sum, count));
            output.Collect(new Q4Row(value.Category, sum / count));
        }
    }
}
