namespace Weir.Benchmarks.Nexmark.Model;

/// <summary>
/// A person who registers to buy or sell (Nexmark's <c>person</c>). Ids start at 1000 and grow with
/// the event number, so a person's id is unique; <see cref="DateTime"/> is the event time in epoch
/// milliseconds.
/// </summary>
public sealed record Person(long Id, string Name, string EmailAddress, string CreditCard, string City, string State, long DateTime, string Extra);
