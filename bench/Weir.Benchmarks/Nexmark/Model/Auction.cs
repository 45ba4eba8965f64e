namespace Weir.Benchmarks.Nexmark.Model;

/// <summary>
/// An item put up for auction (Nexmark's <c>auction</c>): opened at <see cref="DateTime"/>, closing
/// at <see cref="Expires"/> (epoch milliseconds), by <see cref="Seller"/> (a person id), in one of five
/// categories (10 to 14). Prices are in cents; <see cref="Reserve"/> is above <see cref="InitialBid"/>.
/// </summary>
public sealed record Auction(
    long Id,
    string ItemName,
    string Description,
    long InitialBid,
    long Reserve,
    long DateTime,
    long Expires,
    long Seller,
    long Category,
    string Extra);
