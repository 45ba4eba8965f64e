using Weir.Benchmarks.Nexmark.Model;
using Weir.Benchmarks.Nexmark.Queries;

namespace Weir.Nexmark.Tests;

/// <summary>
/// The queries computed the obvious way over the whole list of events, following Flink Nexmark's
/// SQL (nexmark-flink/src/main/resources/queries) literally: what the Weir jobs must produce.
/// </summary>
internal static class Reference
{
    private const long WindowSize = 10_000;
    private const long Slide = 2_000;

    public static IEnumerable<Bid> Bids(IEnumerable<Event> events) => events.Where(e => e.Type == EventType.Bid).Select(e => e.Bid);

    public static IEnumerable<Person> Persons(IEnumerable<Event> events) => events.Select(e => e.Person).OfType<Person>();

    public static IEnumerable<Auction> Auctions(IEnumerable<Event> events) => events.Select(e => e.Auction).OfType<Auction>();

    public static IEnumerable<Bid> Q0(IReadOnlyList<Event> events) => Bids(events);

    public static IEnumerable<Q1Row> Q1(IReadOnlyList<Event> events) =>
        Bids(events).Select(b => new Q1Row(b.Auction, b.Bidder, 0.908m * b.Price, b.DateTime, b.Extra));

    public static IEnumerable<Q2Row> Q2(IReadOnlyList<Event> events) =>
        Bids(events).Where(b => b.Auction % 123 == 0).Select(b => new Q2Row(b.Auction, b.Price));

    public static IEnumerable<Q3Row> Q3(IReadOnlyList<Event> events) =>
        from a in Auctions(events)
        join p in Persons(events) on a.Seller equals p.Id
        where a.Category == 10 && (p.State == "OR" || p.State == "ID" || p.State == "CA")
        select new Q3Row(p.Name, p.City, p.State, a.Id);

    /// <summary>The SQL's inner query: per auction with a bid while open, its category and highest price.</summary>
    public static IEnumerable<Q4Winner> Q4Winners(IReadOnlyList<Event> events)
    {
        var bidsByAuction = Bids(events).ToLookup(b => b.Auction);
        return from a in Auctions(events)
               let prices = bidsByAuction[a.Id].Where(b => b.DateTime >= a.DateTime && b.DateTime <= a.Expires).Select(b => b.Price).ToArray()
               where prices.Length > 0
               select new Q4Winner(a.Id, a.Category, prices.Max());
    }

    /// <summary>The final average per category (AVG of BIGINT truncates).</summary>
    public static IReadOnlyDictionary<long, long> Q4(IReadOnlyList<Event> events) =>
        Q4Winners(events).GroupBy(w => w.Category).ToDictionary(g => g.Key, g => g.Sum(w => w.Price) / g.LongCount());

    public static IEnumerable<Q5Row> Q5(IReadOnlyList<Event> events)
    {
        var counts = Bids(events)
            .SelectMany(b => WindowStartsOf(b.DateTime).Select(start => (b.Auction, Start: start)))
            .GroupBy(x => x)
            .Select(g => (g.Key.Auction, g.Key.Start, Num: (long)g.Count()))
            .ToArray();
        var maxPerWindow = counts.GroupBy(c => c.Start).ToDictionary(g => g.Key, g => g.Max(c => c.Num));
        return counts.Where(c => c.Num >= maxPerWindow[c.Start]).Select(c => new Q5Row(c.Auction, c.Num, c.Start, c.Start + WindowSize));
    }

    public static IEnumerable<Bid> Q7(IReadOnlyList<Event> events)
    {
        var bids = Bids(events).ToArray();
        var maxPerWindowEnd = bids.GroupBy(b => TumblingStart(b.DateTime) + WindowSize).ToDictionary(g => g.Key, g => g.Max(b => b.Price));
        return from window in maxPerWindowEnd
               from b in bids
               where b.Price == window.Value && b.DateTime >= window.Key - WindowSize && b.DateTime <= window.Key
               select b;
    }

    public static IEnumerable<Q8Row> Q8(IReadOnlyList<Event> events)
    {
        var persons = Persons(events).Select(p => (p.Id, p.Name, Start: TumblingStart(p.DateTime))).Distinct();
        var sellers = Auctions(events).Select(a => (a.Seller, Start: TumblingStart(a.DateTime))).Distinct();
        return from p in persons
               join a in sellers on (p.Id, p.Start) equals (a.Seller, a.Start)
               select new Q8Row(p.Id, p.Name, p.Start);
    }

    private static long TumblingStart(long time) => time - (time % WindowSize);

    private static IEnumerable<long> WindowStartsOf(long time)
    {
        for (var start = time - (time % Slide); start > time - WindowSize; start -= Slide)
        {
            yield return start;
        }
    }
}
