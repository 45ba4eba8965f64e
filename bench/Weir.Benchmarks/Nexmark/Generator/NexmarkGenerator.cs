using Weir.Benchmarks.Nexmark.Model;

namespace Weir.Benchmarks.Nexmark.Generator;

/// <summary>
/// Generates Nexmark events by number, following the rules of the Nexmark generator (Beam's, as
/// Flink's Nexmark carries them on): event n is a person, an auction or a bid by n mod 50 (1 : 3 : 46);
/// ids are derived from n, so persons and auctions get consecutive ids and bids mostly name
/// existing ones; prices are 10^(6u) dollars in cents; an auction lasts a random time averaging the
/// time until 100 more auctions are opened; <c>extra</c> pads each record to its average byte size.
///
/// Pure: <see cref="At"/> depends only on the event number and the configuration, so any subset
/// of the stream (a partition, the rest after a checkpoint) can be generated independently.
/// Differences from Flink's generator, all deliberate: randomness is seeded per event (Flink's is
/// not reproducible); event numbers and ids start at 0 (Flink's first event is number 2); a bidder is
/// offset by 1000 once (Flink adds FIRST_PERSON_ID twice); bids take their padding from a pool of
/// strings of the specified lengths instead of allocating a new one.
/// </summary>
public sealed class NexmarkGenerator
{
    /// <summary>Ids ahead of the last one that a random person or auction may be (Nexmark's *_ID_LEAD).</summary>
    private const int IdLead = 10;

    /// <summary>Hot sellers, bidders and auctions are the first of each batch of this many (Nexmark's HOT_*_RATIO constants).</summary>
    private const int HotBatch = 100;

    private readonly StringTables _strings;
    private readonly long _seed;
    private readonly int _total;
    private readonly int _persons;
    private readonly int _auctions;
    private readonly long _auctionHorizonEvents;

    /// <summary>Creates a generator for <paramref name="config"/>.</summary>
    public NexmarkGenerator(GeneratorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        _strings = StringTables.For(config.Seed);
        _seed = config.Seed;
        _total = config.TotalProportion;
        _persons = config.PersonProportion;
        _auctions = config.AuctionProportion;
        _auctionHorizonEvents = (long)config.NumInFlightAuctions * _total / _auctions;
    }

    /// <summary>The configuration.</summary>
    public GeneratorConfig Config { get; }

    /// <summary>What event <paramref name="eventNumber"/> is, without generating it.</summary>
    public EventType TypeOf(long eventNumber)
    {
        var offset = eventNumber % _total;
        return offset < _persons ? EventType.Person : offset < _persons + _auctions ? EventType.Auction : EventType.Bid;
    }

    /// <summary>Event <paramref name="eventNumber"/> (0-based).</summary>
    public Event At(long eventNumber)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(eventNumber);
        var random = new EventRandom(_seed, eventNumber);
        var timestamp = Config.TimestampOf(eventNumber);
        return TypeOf(eventNumber) switch
        {
            EventType.Person => new Event(NextPerson(eventNumber, ref random, timestamp)),
            EventType.Auction => new Event(NextAuction(eventNumber, ref random, timestamp)),
            _ => new Event(NextBid(eventNumber, ref random, timestamp)),
        };
    }

    /// <summary>The last person id (0-based) at event <paramref name="eventNumber"/>: the new one if it is a person.</summary>
    public long LastBase0PersonId(long eventNumber)
    {
        var epoch = eventNumber / _total;
        var offset = eventNumber % _total;
        if (offset >= _persons)
        {
            offset = _persons - 1;
        }

        return (epoch * _persons) + offset;
    }

    /// <summary>The last auction id (0-based) at event <paramref name="eventNumber"/>: the new one if it is an auction.</summary>
    public long LastBase0AuctionId(long eventNumber)
    {
        var epoch = eventNumber / _total;
        var offset = eventNumber % _total;
        if (offset < _persons)
        {
            epoch--;
            offset = _auctions - 1;
        }
        else if (offset >= _persons + _auctions)
        {
            offset = _auctions - 1;
        }
        else
        {
            offset -= _persons;
        }

        return (epoch * _auctions) + offset;
    }

    private Person NextPerson(long eventNumber, ref EventRandom random, long timestamp)
    {
        var id = LastBase0PersonId(eventNumber) + GeneratorConfig.FirstPersonId;
        var name = _strings.PersonNames[(random.NextInt(StringTables.FirstNames.Length) * StringTables.LastNames.Length) + random.NextInt(StringTables.LastNames.Length)];
        var email = string.Concat(StringTables.NextString(ref random, 7), "@", StringTables.NextString(ref random, 5), ".com");
        var creditCard = StringTables.CreditCard(ref random);
        var city = StringTables.UsCities[random.NextInt(StringTables.UsCities.Length)];
        var state = StringTables.UsStates[random.NextInt(StringTables.UsStates.Length)];
        var size = 8 + name.Length + email.Length + creditCard.Length + city.Length + state.Length;
        var extra = _strings.Extra(ref random, size, Config.AvgPersonByteSize);
        return new Person(id, name, email, creditCard, city, state, timestamp, extra);
    }

    private Auction NextAuction(long eventNumber, ref EventRandom random, long timestamp)
    {
        var id = LastBase0AuctionId(eventNumber) + GeneratorConfig.FirstAuctionId;
        var seller = random.NextInt(Config.HotSellersRatio) > 0
            ? LastBase0PersonId(eventNumber) / HotBatch * HotBatch
            : NextBase0PersonId(eventNumber, ref random);
        seller += GeneratorConfig.FirstPersonId;
        var category = GeneratorConfig.FirstCategoryId + random.NextInt(GeneratorConfig.Categories);
        var initialBid = NextPrice(ref random);
        var expires = timestamp + NextAuctionLengthMs(eventNumber, ref random, timestamp);
        var itemName = StringTables.NextString(ref random, 20);
        var description = StringTables.NextString(ref random, 100);
        var reserve = initialBid + NextPrice(ref random);
        var size = 8 + itemName.Length + description.Length + 8 + 8 + 8 + 8 + 8;
        var extra = _strings.Extra(ref random, size, Config.AvgAuctionByteSize);
        return new Auction(id, itemName, description, initialBid, reserve, timestamp, expires, seller, category, extra);
    }

    private Bid NextBid(long eventNumber, ref EventRandom random, long timestamp)
    {
        var auction = random.NextInt(Config.HotAuctionRatio) > 0
            ? LastBase0AuctionId(eventNumber) / HotBatch * HotBatch
            : NextBase0AuctionId(eventNumber, ref random);
        auction += GeneratorConfig.FirstAuctionId;

        // The second person of the batch, so hot bidders and hot sellers differ.
        var bidder = random.NextInt(Config.HotBiddersRatio) > 0
            ? (LastBase0PersonId(eventNumber) / HotBatch * HotBatch) + 1
            : NextBase0PersonId(eventNumber, ref random);
        bidder += GeneratorConfig.FirstPersonId;

        var price = NextPrice(ref random);
        string channel, url;
        if (random.NextInt(2) > 0)
        {
            var hot = random.NextInt(StringTables.HotChannels.Length);
            channel = StringTables.HotChannels[hot];
            url = _strings.HotUrls[hot];
        }
        else
        {
            var number = random.NextInt(StringTables.ChannelCount);
            channel = _strings.Channels[number];
            url = _strings.ChannelUrls[number];
        }

        var extra = _strings.PooledExtra(ref random, 8 + 8 + 8 + 8, Config.AvgBidByteSize);
        return new Bid(auction, bidder, price, channel, url, timestamp, extra);
    }

    /// <summary>A person among the active ones, or up to <see cref="IdLead"/> not yet registered.</summary>
    private long NextBase0PersonId(long eventNumber, ref EventRandom random)
    {
        var people = LastBase0PersonId(eventNumber) + 1;
        var active = Math.Min(people, Config.NumActivePeople);
        return people - active + random.NextLong(active + IdLead);
    }

    /// <summary>An auction among those likely still open, or up to <see cref="IdLead"/> not yet opened.</summary>
    private long NextBase0AuctionId(long eventNumber, ref EventRandom random)
    {
        var last = LastBase0AuctionId(eventNumber);
        var min = Math.Max(last - Config.NumInFlightAuctions, 0);
        return min + random.NextLong(last - min + 1 + IdLead);
    }

    /// <summary>Random length averaging the event time until <c>NumInFlightAuctions</c> more auctions open.</summary>
    private long NextAuctionLengthMs(long eventNumber, ref EventRandom random, long timestamp)
    {
        var horizon = Config.TimestampOf(eventNumber + _auctionHorizonEvents) - timestamp;
        return 1 + random.NextLong(Math.Max(horizon * 2, 1));
    }

    /// <summary>10^(6u) dollars, in cents: $1 to $1M, log-uniform (Java's Math.round: half up).</summary>
    private static long NextPrice(ref EventRandom random) => (long)Math.Floor((Math.Exp(random.NextDouble() * SixLn10) * 100.0) + 0.5);

    /// <summary>ln(10^6): 10^(6u) = e^(u ln 10^6), which the runtime computes faster than Pow.</summary>
    private const double SixLn10 = 13.815510557964274;
}
