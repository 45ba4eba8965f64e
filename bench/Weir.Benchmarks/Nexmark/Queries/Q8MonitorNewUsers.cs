using Weir.Benchmarks.Nexmark.Model;
using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.Windowing;

namespace Weir.Benchmarks.Nexmark.Queries;

/// <summary>
/// q8, monitor new users: persons who registered and opened an auction in the same tumbling
/// window of 10 s (persons grouped by id and name per window, auctions by seller per window,
/// joined on id = seller and the window).
///
/// One keyed window: persons and auctions keyed by person id (auctions by seller) into tumbling
/// event-time windows whose accumulator is just "the person's name, if registered here" and "an
/// auction was opened here"; a window with both emits the person once (the GROUP BYs make each
/// side distinct, so the join yields one row per person and window). Windowed joins that pair
/// every person with every auction would need a distinct afterwards; this needs no buffering.
/// </summary>
public sealed class Q8MonitorNewUsers : NexmarkQuery
{
    /// <summary>Window size.</summary>
    public static readonly TimeSpan Size = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    public override string Name => "q8";

    /// <inheritdoc />
    public override string Description => "monitor new users: persons who opened an auction in the 10 s window they registered in";

    /// <inheritdoc />
    public override bool UsesEventTime => true;

    /// <inheritdoc />
    public override void Build(DataStream<Event> events, IResultSinks sinks) => sinks.Add(
        events
            .Filter(e => e.Type != EventType.Bid, "persons, auctions")
            .KeyBy(e => e.Type == EventType.Person ? e.Person!.Id : e.Auction!.Seller)
            .Window(TumblingEventTimeWindows.Of(Size))
            .Aggregate(
                new AggregateFunction<Event, (string? Name, bool Sold), (string? Name, bool Sold)>(
                    () => (null, false),
                    (e, acc) => e.Person is { } person ? (person.Name, acc.Sold) : (acc.Name, true),
                    acc => acc,
                    (a, b) => (a.Name ?? b.Name, a.Sold || b.Sold)),
                new ProcessWindowFunctionAdapter<(string? Name, bool Sold), Q8Row, long>((id, window, results, output) =>
                {
                    foreach (var (name, sold) in results)
                    {
                        if (name is not null && sold)
                        {
                            output.Collect(new Q8Row(id, name, window.Window.Start));
                        }
                    }
                }),
                "person and auction in one window")
            .Uid("q8-join"),
        Name);
}
