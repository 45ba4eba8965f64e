using Weir.Benchmarks.Nexmark.Model;

namespace Weir.Benchmarks.Nexmark.Queries;

/// <summary>q1's row: a bid with its price converted to euros (DECIMAL(23, 3) in Flink's Nexmark: exact).</summary>
public readonly record struct Q1Row(long Auction, long Bidder, decimal Price, long DateTime, string Extra)
{
    /// <summary>0.908 × <paramref name="dollarCents"/>, exactly, with three decimals: <c>dollarCents × 908 / 1000</c>.</summary>
    public static decimal ToEuros(long dollarCents)
    {
        var thousandths = dollarCents * 908;
        return new decimal((int)thousandths, (int)(thousandths >> 32), 0, thousandths < 0, 3);
    }
}

/// <summary>q2's row: a selected bid's auction and price.</summary>
public readonly record struct Q2Row(long Auction, long Price);

/// <summary>q3's row: a seller in OR, ID or CA and an auction of theirs in category 10.</summary>
public readonly record struct Q3Row(string Name, string City, string State, long Id);

/// <summary>q4's row: a category and the average winning price of its auctions so far (BIGINT AVG: truncated, as Flink's).</summary>
public readonly record struct Q4Row(long Id, long Final);

/// <summary>The winning (highest) price of one auction, among the bids made while it was open.</summary>
public readonly record struct Q4Winner(long Auction, long Category, long Price);

/// <summary>q5's row: an auction with the most bids in the sliding window [StartTime, EndTime).</summary>
public readonly record struct Q5Row(long Auction, long Num, long StartTime, long EndTime);

/// <summary>The number of bids on one auction in one window (q5's first stage).</summary>
public readonly record struct AuctionCount(long Auction, long Num, long StartTime, long EndTime);

/// <summary>q8's row: a person who opened an auction in the same 10 s window as they registered.</summary>
public readonly record struct Q8Row(long Id, string Name, long StartTime);

/// <summary>q7's stage-two input: a partial maximum of one window, or a bid at exactly a window's end (the SQL's BETWEEN includes it).</summary>
public readonly record struct Q7Piece(long WindowEnd, long MaxPrice, Bid[] Bids, bool IsBoundary);
