using Weir.Benchmarks.Nexmark.Generator;
using Weir.Benchmarks.Nexmark.Model;
using Weir.Benchmarks.Nexmark.Queries;

namespace Weir.Nexmark.Tests;

/// <summary>
/// Every query as a Weir job (parallelism 2 over 3 partitions, exactly-once checkpoints every
/// 100 ms) on 20,000 events, against <see cref="Reference"/> over the same events. Event
/// time runs at 100 events per second, so the 20,000 events span 200 s: several tumbling and
/// sliding windows, and auctions that stay open over many bids.
/// </summary>
public sealed class QueryTests(Xunit.Abstractions.ITestOutputHelper log) : IAsyncLifetime
{
    private const long EventCount = 20_000;
    private static readonly GeneratorConfig Config = new() { Seed = 7, EventsPerSecond = 100 };
    private static readonly Event[] Events = Generate(Config, EventCount);
    private NexmarkSilo? _silo;

    public async Task InitializeAsync() => _silo = await NexmarkSilo.StartAsync("100ms");

    public async Task DisposeAsync() => await _silo!.DisposeAsync();

    [Fact]
    public async Task Q0_passes_every_bid_through() =>
        AssertSameRows(Reference.Q0(Events), await RunAsync<Bid>(new Q0PassThrough()));

    [Fact]
    public async Task Q1_converts_every_price_to_euros() =>
        AssertSameRows(Reference.Q1(Events), await RunAsync<Q1Row>(new Q1CurrencyConversion()));

    [Fact]
    public async Task Q2_selects_bids_on_every_123rd_auction() =>
        AssertSameRows(Reference.Q2(Events), await RunAsync<Q2Row>(new Q2Selection()), allowEmpty: false);

    [Fact]
    public async Task Q3_joins_local_sellers_with_their_category_10_auctions() =>
        AssertSameRows(Reference.Q3(Events), await RunAsync<Q3Row>(new Q3LocalItemSuggestion()), allowEmpty: false);

    [Fact]
    public async Task Q4_final_average_per_category_equals_the_reference()
    {
        var rows = await RunAsync<Q4Row>(new Q4AveragePriceByCategory());
        var expected = Reference.Q4(Events);
        var final = rows.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.Last().Final);
        Assert.Equal(expected.OrderBy(e => e.Key), final.OrderBy(e => e.Key));

        // One update per auction with a winning bid, as many as the SQL's inner query has rows.
        log.WriteLine($"q4: {rows.Count} updates over {final.Count} categories");
        Assert.Equal(Reference.Q4Winners(Events).Count(), rows.Count);
    }

    [Fact]
    public async Task Q5_emits_the_auctions_with_the_most_bids_per_sliding_window() =>
        AssertSameRows(Reference.Q5(Events), await RunAsync<Q5Row>(new Q5HotItems()), allowEmpty: false);

    [Fact]
    public async Task Q7_emits_the_bids_at_the_highest_price_per_tumbling_window() =>
        AssertSameRows(Reference.Q7(Events), await RunAsync<Bid>(new Q7HighestBid()), allowEmpty: false);

    [Fact]
    public async Task Q7_includes_a_bid_made_exactly_at_the_window_end_at_the_earlier_windows_maximum()
    {
        // Crafted: the bid at 10,000 opens the second window and ties the first window's maximum,
        // so BETWEEN window_end - 10 s AND window_end returns it for both windows.
        const long t0 = GeneratorConfig.DefaultBaseTime;
        Event BidAt(long time, long price, long auction) => new(new Bid(auction, 1001, price, "Google", "https://www.nexmark.com/a/b/c/item.htm?query=1", t0 + time, "x"));
        Event[] events = [BidAt(1_000, 500, 1000), BidAt(5_000, 900, 1001), BidAt(9_999, 700, 1002), BidAt(10_000, 900, 1003), BidAt(12_000, 300, 1004), BidAt(25_000, 100, 1005)];
        var rows = await _silo!.RunAsync<Bid>(new Q7HighestBid(), events, parallelism: 2);
        AssertSameRows(Reference.Q7(events), rows, allowEmpty: false);
        Assert.Equal(2, rows.Count(r => r.DateTime == t0 + 10_000));
        Assert.Equal(4, rows.Count);
    }

    [Fact]
    public async Task Q8_emits_persons_who_opened_an_auction_in_their_first_window() =>
        AssertSameRows(Reference.Q8(Events), await RunAsync<Q8Row>(new Q8MonitorNewUsers()), allowEmpty: false);

    private static Event[] Generate(GeneratorConfig config, long count)
    {
        var generator = new NexmarkGenerator(config);
        var events = new Event[count];
        for (var n = 0; n < count; n++)
        {
            events[n] = generator.At(n);
        }

        return events;
    }

    private void AssertSameRows<T>(IEnumerable<T> expected, IReadOnlyList<T> actual, bool allowEmpty = true)
        where T : notnull
    {
        log.WriteLine($"{typeof(T).Name}: {actual.Count} rows, {actual.Distinct().Count()} distinct");
        var expectedCounts = expected.GroupBy(r => r).ToDictionary(g => g.Key, g => g.Count());
        var actualCounts = actual.GroupBy(r => r).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(allowEmpty || expectedCounts.Count > 0, "the reference has no rows: the test data does not exercise the query");
        var missing = expectedCounts.Where(e => actualCounts.GetValueOrDefault(e.Key) < e.Value).Select(e => e.Key).Take(3).ToArray();
        var extra = actualCounts.Where(a => expectedCounts.GetValueOrDefault(a.Key) < a.Value).Select(a => a.Key).Take(3).ToArray();
        Assert.True(
            missing.Length == 0 && extra.Length == 0,
            $"expected {expectedCounts.Values.Sum()} rows, got {actual.Count}; missing e.g. [{string.Join("; ", missing)}], unexpected e.g. [{string.Join("; ", extra)}]");
    }

    private Task<IReadOnlyList<TRow>> RunAsync<TRow>(NexmarkQuery query, GeneratorConfig? config = null, long events = EventCount) =>
        _silo!.RunAsync<TRow>(query, config ?? Config, events, parallelism: 2, partitions: 3);
}
