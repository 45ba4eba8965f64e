using Weir.Benchmarks.Nexmark.Model;
using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.State;

namespace Weir.Benchmarks.Nexmark.Queries;

/// <summary>
/// q3, local item suggestion: sellers in Oregon, Idaho or California with their auctions in
/// category 10 (<c>auction INNER JOIN person ON seller = id WHERE category = 10 AND state IN
/// ('OR', 'ID', 'CA')</c>). A regular join, as in the SQL: no window; both sides filtered first.
///
/// Keyed by person id, the join keeps the person's name, city and state once they arrive and
/// the auctions that arrived before their seller. An auction that found its seller is emitted
/// and not kept: person ids are unique in the generator, so no second person can match it (the
/// SQL join would keep it; the rows are the same). Auctions whose seller is in another state wait
/// for ever, as in the SQL join.
/// </summary>
public sealed class Q3LocalItemSuggestion : NexmarkQuery
{
    /// <inheritdoc />
    public override string Name => "q3";

    /// <inheritdoc />
    public override string Description => "local item suggestion: join category-10 auctions with their sellers in OR, ID, CA";

    /// <summary>The predicate on persons.</summary>
    public static bool IsLocal(Person person) => person.State is "OR" or "ID" or "CA";

    /// <summary>The predicate on auctions.</summary>
    public static bool IsCategory10(Auction auction) => auction.Category == 10;

    /// <inheritdoc />
    public override void Build(DataStream<Event> events, IResultSinks sinks) => sinks.Add(
        events
            .Filter(e => e.Type == EventType.Person ? IsLocal(e.Person!) : e.Type == EventType.Auction && IsCategory10(e.Auction!), "local persons, category-10 auctions")
            .KeyBy(e => e.Type == EventType.Person ? e.Person!.Id : e.Auction!.Seller)
            .Process(new SellerJoin(), "join seller")
            .Uid("q3-join"),
        Name);

    /// <summary>The join of one person id: the person (if seen) and the auctions waiting for them.</summary>
    private sealed class SellerJoin : KeyedProcessFunction<long, Event, Q3Row>
    {
        private IValueState<(string Name, string City, string State)>? _person;
        private IListState<long>? _waiting;

        public override void Open(IKeyedRuntimeContext context)
        {
            _person = context.GetState(new ValueStateDescriptor<(string Name, string City, string State)>("person"));
            _waiting = context.GetListState(new ListStateDescriptor<long>("auctions-waiting"));
        }

        public override void ProcessElement(Event value, Context context, ICollector<Q3Row> output)
        {
            if (value.Person is { } person)
            {
                _person!.Update((person.Name, person.City, person.State));
                foreach (var auction in _waiting!.Get())
                {
                    output.Collect(new Q3Row(person.Name, person.City, person.State, auction));
                }

                _waiting.Clear();
                return;
            }

            var seller = _person!.Value;
            if (seller.Name is not null)
            {
                output.Collect(new Q3Row(seller.Name, seller.City, seller.State, value.Auction!.Id));
            }
            else
            {
                _waiting!.Add(value.Auction!.Id);
            }
        }
    }
}
