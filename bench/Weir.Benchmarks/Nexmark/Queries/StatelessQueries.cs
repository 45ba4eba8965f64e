using Weir.Benchmarks.Nexmark.Model;
using Weir.Streaming.Api;

namespace Weir.Benchmarks.Nexmark.Queries;

/// <summary>q0: every bid, unchanged (<c>SELECT auction, bidder, price, dateTime, extra FROM bid</c>); measures the pipeline itself.</summary>
public sealed class Q0PassThrough : NexmarkQuery
{
    /// <inheritdoc />
    public override string Name => "q0";

    /// <inheritdoc />
    public override string Description => "pass-through: every bid";

    /// <inheritdoc />
    public override void Build(DataStream<Event> events, IResultSinks sinks) => sinks.Add(Bids(events), Name);
}

/// <summary>q1: every bid with its price in euros (<c>0.908 * price</c>).</summary>
public sealed class Q1CurrencyConversion : NexmarkQuery
{
    /// <inheritdoc />
    public override string Name => "q1";

    /// <inheritdoc />
    public override string Description => "currency conversion: bids with price x 0.908";

    /// <inheritdoc />
    public override void Build(DataStream<Event> events, IResultSinks sinks) =>
        sinks.Add(Bids(events).Map(b => new Q1Row(b.Auction, b.Bidder, Q1Row.ToEuros(b.Price), b.DateTime, b.Extra), "to euros"), Name);
}

/// <summary>q2: the auction and price of bids on every 123rd auction (<c>WHERE MOD(auction, 123) = 0</c>).</summary>
public sealed class Q2Selection : NexmarkQuery
{
    /// <inheritdoc />
    public override string Name => "q2";

    /// <inheritdoc />
    public override string Description => "selection: bids on auctions with id mod 123 = 0";

    /// <inheritdoc />
    public override void Build(DataStream<Event> events, IResultSinks sinks) =>
        sinks.Add(Bids(events).Filter(b => b.Auction % 123 == 0, "auction mod 123").Map(b => new Q2Row(b.Auction, b.Price), "auction, price"), Name);
}
