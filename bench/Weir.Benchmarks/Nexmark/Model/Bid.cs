namespace Weir.Benchmarks.Nexmark.Model;

/// <summary>
/// A bid on an auction (Nexmark's <c>bid</c>): 46 of every 50 events. A value type, so the bid
/// stream allocates nothing per event: its strings come from the generator's pools (channels and
/// their URLs, and <see cref="Extra"/> padding of the specified lengths).
/// </summary>
public readonly record struct Bid(long Auction, long Bidder, long Price, string Channel, string Url, long DateTime, string Extra);
