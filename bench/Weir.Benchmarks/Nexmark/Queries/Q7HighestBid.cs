using Weir.Benchmarks.Nexmark.Model;
using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.State;
using Weir.Streaming.Windowing;

namespace Weir.Benchmarks.Nexmark.Queries;

/// <summary>
/// q7, highest bid: per tumbling window of 10 s, the bids at the window's highest price (<c>bid
/// JOIN (SELECT MAX(price) ... TUMBLE(bid, 10 s)) ON price = maxprice WHERE dateTime BETWEEN
/// window_end - 10 s AND window_end</c>).
///
/// The maximum is aggregated in two phases, so no single subtask sees every bid: a tumbling window
/// per price bucket (price mod 128, spread evenly) keeps its highest price and the bids at it; keyed
/// by window, the buckets' partial results are merged and the bids at the overall maximum emitted
/// when the watermark passes the window's end. BETWEEN includes the end: a bid made exactly at
/// <c>window_end</c> belongs to the next window but also qualifies for this one, so such bids also
/// go to this window's merge as candidates. Exact: no simplification.
/// </summary>
public sealed class Q7HighestBid : NexmarkQuery
{
    /// <summary>Window size.</summary>
    public static readonly TimeSpan Size = TimeSpan.FromSeconds(10);

    private const int Buckets = 128;

    /// <inheritdoc />
    public override string Name => "q7";

    /// <inheritdoc />
    public override string Description => "highest bid: the bids at the highest price per tumbling window (10 s)";

    /// <inheritdoc />
    public override bool UsesEventTime => true;

    /// <inheritdoc />
    public override void Build(DataStream<Event> events, IResultSinks sinks)
    {
        var size = (long)Size.TotalMilliseconds;
        var bids = Bids(events);
        var partials = bids
            .KeyBy(b => b.Price % Buckets)
            .Window(TumblingEventTimeWindows.Of(Size))
            .Aggregate(
                new AggregateFunction<Bid, (long MaxPrice, Bid[]? Bids), (long MaxPrice, Bid[]? Bids)>(
                    () => (-1, null),
                    (bid, acc) => bid.Price > acc.MaxPrice ? (bid.Price, [bid]) : bid.Price == acc.MaxPrice ? (acc.MaxPrice, [.. acc.Bids!, bid]) : acc,
                    acc => acc,
                    (a, b) => a.MaxPrice > b.MaxPrice ? a : b.MaxPrice > a.MaxPrice ? b : (a.MaxPrice, [.. a.Bids!, .. b.Bids!])),
                new ProcessWindowFunctionAdapter<(long MaxPrice, Bid[]? Bids), Q7Piece, long>((_, window, results, output) =>
                {
                    foreach (var (max, atMax) in results)
                    {
                        output.Collect(new Q7Piece(window.Window.End, max, atMax ?? [], IsBoundary: false));
                    }
                }),
                "max price per bucket")
            .Uid("q7-partial-max");
        var boundary = bids
            .Filter(b => b.DateTime % size == 0, "bids at a window's end")
            .Map(b => new Q7Piece(b.DateTime, b.Price, [b], IsBoundary: true), "as candidates");
        sinks.Add(
            partials.Union(boundary)
                .KeyBy(p => p.WindowEnd)
                .Process(new HighestBids(), "bids at the window's maximum")
                .Uid("q7-max"),
            Name);
    }

    /// <summary>One window: the overall maximum of the partial results, their bids at it, and the end's candidates.</summary>
    private sealed class HighestBids : KeyedProcessFunction<long, Q7Piece, Bid>
    {
        private IValueState<(long MaxPrice, Bid[] Bids)>? _max;
        private IListState<Bid>? _boundary;

        public override void Open(IKeyedRuntimeContext context)
        {
            _max = context.GetState(new ValueStateDescriptor<(long MaxPrice, Bid[] Bids)>("max", (-1, [])));
            _boundary = context.GetListState(new ListStateDescriptor<Bid>("bids-at-end"));
        }

        public override void ProcessElement(Q7Piece value, Context context, ICollector<Bid> output)
        {
            // Candidates carry the window's end, partial results its last millisecond: fire once both are complete.
            context.TimerService.RegisterEventTimeTimer(value.WindowEnd);
            if (value.IsBoundary)
            {
                _boundary!.Add(value.Bids[0]);
                return;
            }

            var max = _max!.Value;
            if (value.MaxPrice > max.MaxPrice)
            {
                _max.Update((value.MaxPrice, value.Bids));
            }
            else if (value.MaxPrice == max.MaxPrice)
            {
                _max.Update((max.MaxPrice, [.. max.Bids, .. value.Bids]));
            }
        }

        public override void OnTimer(long timestamp, Context context, ICollector<Bid> output)
        {
            var max = _max!.Value;
            foreach (var bid in max.Bids)
            {
                output.Collect(bid);
            }

            foreach (var bid in _boundary!.Get())
            {
                if (max.MaxPrice >= 0 && bid.Price == max.MaxPrice)
                {
                    output.Collect(bid);
                }
            }

            _max.Clear();
            _boundary.Clear();
        }
    }
}
