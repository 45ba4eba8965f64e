using Weir.Benchmarks.Nexmark.Model;
using Weir.Streaming.Api;

namespace Weir.Benchmarks.Nexmark.Queries;

/// <summary>Where a query's result rows go: the benchmark's discarding sink, a JSON-lines file, a test's collecting sink.</summary>
public interface IResultSinks
{
    /// <summary>Ends <paramref name="rows"/> in a sink for <paramref name="query"/>.</summary>
    void Add<T>(DataStream<T> rows, string query);
}

/// <summary>
/// A Nexmark query as a Weir job: the operators after the source, with the semantics of Flink's
/// Nexmark SQL (<c>nexmark-flink/src/main/resources/queries</c>); each query says where it
/// simplifies. Queries read the one event stream, as Flink's <c>person</c>, <c>auction</c> and
/// <c>bid</c> views read its one <c>datagen</c> table.
/// </summary>
public abstract class NexmarkQuery
{
    /// <summary>q0, q1, ...</summary>
    public abstract string Name { get; }

    /// <summary>One line: what it computes.</summary>
    public abstract string Description { get; }

    /// <summary>Whether results depend on event time (the source then needs watermarks; all queries get them, as in Flink's DDL).</summary>
    public virtual bool UsesEventTime => false;

    /// <summary>Adds the query's operators after <paramref name="events"/> and its sink.</summary>
    public abstract void Build(DataStream<Event> events, IResultSinks sinks);

    /// <summary>The bid view: bids of the event stream.</summary>
    protected static DataStream<Bid> Bids(DataStream<Event> events) =>
        events.Filter(e => e.Type == EventType.Bid, "bids").Map(e => e.Bid, "bid");
}

/// <summary>The queries by name.</summary>
public static class NexmarkQueries
{
    /// <summary>Every query.</summary>
    public static IReadOnlyList<NexmarkQuery> All { get; } =
    [
        new Q0PassThrough(),
        new Q1CurrencyConversion(),
        new Q2Selection(),
        new Q3LocalItemSuggestion(),
        new Q4AveragePriceByCategory(),
        new Q5HotItems(),
        new Q7HighestBid(),
        new Q8MonitorNewUsers(),
    ];

    /// <summary>The query named <paramref name="name"/> (q0, q1, ...), or null.</summary>
    public static NexmarkQuery? Find(string name) => All.FirstOrDefault(q => string.Equals(q.Name, name, StringComparison.OrdinalIgnoreCase));
}
