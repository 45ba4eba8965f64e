using System.Text;
using System.Text.Json;
using Weir.Benchmarks.Nexmark.Generator;
using Weir.Benchmarks.Nexmark.Model;
using Weir.Benchmarks.Nexmark.Output;

namespace Weir.Nexmark.Tests;

/// <summary>The generator follows Nexmark's rules and is a pure function of the seed and the event number.</summary>
public sealed class GeneratorTests
{
    private static readonly GeneratorConfig Config = new() { Seed = 11 };

    [Fact]
    public void Events_are_persons_auctions_and_bids_in_1_3_46()
    {
        var generator = new NexmarkGenerator(Config);
        var counts = Enumerable.Range(0, 50_000).Select(n => generator.At(n).Type).GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(1_000, counts[EventType.Person]);
        Assert.Equal(3_000, counts[EventType.Auction]);
        Assert.Equal(46_000, counts[EventType.Bid]);
    }

    [Fact]
    public void The_same_seed_generates_the_same_events_and_another_seed_others()
    {
        var a = new NexmarkGenerator(Config);
        var b = new NexmarkGenerator(Config with { });
        var c = new NexmarkGenerator(Config with { Seed = 12 });
        Assert.All(Enumerable.Range(0, 2_000), n => Assert.Equal(a.At(n), b.At(n)));
        Assert.True(Enumerable.Range(0, 2_000).Count(n => a.At(n) != c.At(n)) > 1_900);
    }

    [Fact]
    public void Ids_times_and_values_follow_the_specification()
    {
        var generator = new NexmarkGenerator(Config);
        var events = Enumerable.Range(0, 20_000).Select(n => generator.At(n)).ToArray();
        var persons = events.Select(e => e.Person).OfType<Person>().ToArray();
        var auctions = events.Select(e => e.Auction).OfType<Auction>().ToArray();
        var bids = events.Where(e => e.Type == EventType.Bid).Select(e => e.Bid).ToArray();

        // Ids are consecutive from 1000; times never decrease with the event number (10M events per second).
        Assert.Equal(Enumerable.Range(1000, persons.Length).Select(i => (long)i), persons.Select(p => p.Id));
        Assert.Equal(Enumerable.Range(1000, auctions.Length).Select(i => (long)i), auctions.Select(a => a.Id));
        Assert.True(events.Zip(events.Skip(1)).All(pair => pair.First.DateTime <= pair.Second.DateTime));
        Assert.Equal(GeneratorConfig.DefaultBaseTime + (19_999 / 10_000), events[^1].DateTime);

        Assert.All(persons, p =>
        {
            Assert.Contains(p.State, new[] { "AZ", "CA", "ID", "OR", "WA", "WY" });
            Assert.Matches("^[0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}$", p.CreditCard);
            Assert.Matches("^[a-z ]*@[a-z ]*\\.com$", p.EmailAddress);
        });
        Assert.All(auctions, a =>
        {
            Assert.InRange(a.Category, 10, 14);
            Assert.InRange(a.InitialBid, 100, 100_000_000);
            Assert.True(a.Reserve > a.InitialBid);
            Assert.True(a.Expires > a.DateTime);
            Assert.InRange(a.Seller, 1000, 1000 + persons.Length + 10);
        });
        Assert.All(bids, b =>
        {
            Assert.InRange(b.Price, 100, 100_000_000);
            Assert.InRange(b.Auction, 1000, 1000 + auctions.Length + 10);
            Assert.InRange(b.Bidder, 1000, 1000 + persons.Length + 10);
            Assert.InRange(b.Extra.Length, 54, 81);
        });

        // Half the bids go to the hot auction of their batch, three quarters come from a hot bidder.
        Assert.InRange(bids.Count(b => (b.Auction - 1000) % 100 == 0), bids.Length * 45 / 100, bids.Length * 60 / 100);

        // Sizes average the specification's bytes: 200 per person, 500 per auction.
        Assert.InRange(persons.Average(p => 8 + p.Name.Length + p.EmailAddress.Length + p.CreditCard.Length + p.City.Length + p.State.Length + p.Extra.Length), 190, 210);
        Assert.InRange(auctions.Average(a => 48 + a.ItemName.Length + a.Description.Length + a.Extra.Length), 480, 520);
    }

    [Fact]
    public void Partitions_deal_out_the_one_sequence()
    {
        const long events = 1_003;
        Assert.Equal(events, Enumerable.Range(0, 4).Sum(p => NexmarkSource.EventsIn(p, 4, events)));
        Assert.Equal(251, NexmarkSource.EventsIn(0, 4, events));
        Assert.Equal(250, NexmarkSource.EventsIn(3, 4, events));
    }

    [Fact]
    public void Dumped_events_are_json_objects_with_a_type_and_camel_case_nexmark_fields()
    {
        var generator = new NexmarkGenerator(Config);
        var path = Path.GetTempFileName();
        try
        {
            EventJson.Dump(generator, 50, path);
            var lines = File.ReadAllLines(path, Encoding.UTF8);
            Assert.Equal(50, lines.Length);
            var byType = lines.Select(l => JsonDocument.Parse(l).RootElement).GroupBy(e => e.GetProperty("type").GetString()!).ToDictionary(g => g.Key, g => g.First());
            Assert.Equal(["auction", "bid", "person"], byType.Keys.Order());
            Assert.Equal(["type", "id", "name", "emailAddress", "creditCard", "city", "state", "dateTime", "extra"], byType["person"].EnumerateObject().Select(p => p.Name));
            Assert.Equal(["type", "id", "itemName", "description", "initialBid", "reserve", "dateTime", "expires", "seller", "category", "extra"], byType["auction"].EnumerateObject().Select(p => p.Name));
            Assert.Equal(["type", "auction", "bidder", "price", "channel", "url", "dateTime", "extra"], byType["bid"].EnumerateObject().Select(p => p.Name));
            Assert.Equal(generator.At(0).DateTime, JsonDocument.Parse(lines[0]).RootElement.GetProperty("dateTime").GetInt64());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
