namespace Weir.Benchmarks.Nexmark.Generator;

/// <summary>
/// The parameters of the Nexmark event stream, with the defaults of Flink's Nexmark
/// (<c>NexmarkConfiguration</c>) and of its benchmark suite (10 million events per second of event time).
///
/// The stream is one sequence of events numbered 0, 1, 2, ...: what event n is depends on n and
/// <see cref="Seed"/> alone. Event n is a person, an auction or a bid by <c>n mod 50</c> (1 : 3 : 46);
/// its time is <see cref="BaseTime"/> + n / <see cref="EventsPerSecond"/>. Ids are derived from n, so
/// bids name auctions and persons that exist (or are a few events ahead, as in Nexmark).
/// </summary>
public sealed record GeneratorConfig
{
    /// <summary>Person ids start here (Nexmark's FIRST_PERSON_ID).</summary>
    public const long FirstPersonId = 1000;

    /// <summary>Auction ids start here (Nexmark's FIRST_AUCTION_ID).</summary>
    public const long FirstAuctionId = 1000;

    /// <summary>The first category (Nexmark's FIRST_CATEGORY_ID); there are <see cref="Categories"/>.</summary>
    public const long FirstCategoryId = 10;

    /// <summary>Categories of auctions (Nexmark's NUM_CATEGORIES).</summary>
    public const int Categories = 5;

    /// <summary>2026-01-01T00:00:00Z: event time of event 0, fixed so that runs are reproducible.</summary>
    public const long DefaultBaseTime = 1_767_225_600_000;

    /// <summary>The seed of every random choice.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Event time of event 0 (epoch milliseconds).</summary>
    public long BaseTime { get; init; } = DefaultBaseTime;

    /// <summary>Events per second of event time (Flink's <c>first-event.rate</c>; its suite runs 10,000,000).</summary>
    public long EventsPerSecond { get; init; } = 10_000_000;

    /// <summary>Persons in every <see cref="TotalProportion"/> events.</summary>
    public int PersonProportion { get; init; } = 1;

    /// <summary>Auctions in every <see cref="TotalProportion"/> events.</summary>
    public int AuctionProportion { get; init; } = 3;

    /// <summary>Bids in every <see cref="TotalProportion"/> events.</summary>
    public int BidProportion { get; init; } = 46;

    /// <summary>The length of the person, auction, bid cycle.</summary>
    public int TotalProportion => PersonProportion + AuctionProportion + BidProportion;

    /// <summary>Average size in bytes of a person; <c>extra</c> pads it to this.</summary>
    public int AvgPersonByteSize { get; init; } = 200;

    /// <summary>Average size in bytes of an auction.</summary>
    public int AvgAuctionByteSize { get; init; } = 500;

    /// <summary>Average size in bytes of a bid.</summary>
    public int AvgBidByteSize { get; init; } = 100;

    /// <summary>1 - 1/ratio of bids go to a hot auction.</summary>
    public int HotAuctionRatio { get; init; } = 2;

    /// <summary>1 - 1/ratio of auctions are by a hot seller.</summary>
    public int HotSellersRatio { get; init; } = 4;

    /// <summary>1 - 1/ratio of bids are by a hot bidder.</summary>
    public int HotBiddersRatio { get; init; } = 4;

    /// <summary>Auctions a random bid may name: the last this many (plus a few not yet opened).</summary>
    public int NumInFlightAuctions { get; init; } = 100;

    /// <summary>Persons a random seller or bidder may be: the last this many (plus a few not yet registered).</summary>
    public int NumActivePeople { get; init; } = 1000;

    /// <summary>The event time of event <paramref name="eventNumber"/> (epoch milliseconds); never decreases with the number.</summary>
    public long TimestampOf(long eventNumber) => BaseTime + (eventNumber <= long.MaxValue / 1000
        ? eventNumber * 1000 / EventsPerSecond
        : (long)(((Int128)eventNumber * 1000) / EventsPerSecond));

    /// <summary>Checks the values; the message names the bad one.</summary>
    public GeneratorConfig Validate()
    {
        if (EventsPerSecond <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(EventsPerSecond), EventsPerSecond, "The event rate must be positive.");
        }

        if (PersonProportion < 1 || AuctionProportion < 1 || BidProportion < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(PersonProportion), $"{PersonProportion}:{AuctionProportion}:{BidProportion}", "Every proportion must be at least 1.");
        }

        if (HotAuctionRatio < 1 || HotSellersRatio < 1 || HotBiddersRatio < 1 || NumInFlightAuctions < 1 || NumActivePeople < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(HotAuctionRatio), "Hot ratios, in-flight auctions and active people must be at least 1.");
        }

        return this;
    }
}
