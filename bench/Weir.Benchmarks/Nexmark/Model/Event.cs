namespace Weir.Benchmarks.Nexmark.Model;

/// <summary>Which of the three Nexmark records an <see cref="Event"/> holds (Nexmark's <c>event_type</c>).</summary>
public enum EventType : byte
{
    /// <summary>A new person (0).</summary>
    Person = 0,

    /// <summary>A new auction (1).</summary>
    Auction = 1,

    /// <summary>A bid (2).</summary>
    Bid = 2,
}

/// <summary>
/// One Nexmark event: a person, an auction or a bid, as the single source table of Flink's
/// Nexmark (<c>datagen</c>) carries them. A value type of 72 bytes: the bid inline (no allocation
/// for the common case), a person or an auction by reference.
/// </summary>
public readonly struct Event : IEquatable<Event>
{
    private readonly object? _entity;

    /// <summary>Wraps a person.</summary>
    public Event(Person person)
    {
        ArgumentNullException.ThrowIfNull(person);
        Type = EventType.Person;
        _entity = person;
        Bid = default;
    }

    /// <summary>Wraps an auction.</summary>
    public Event(Auction auction)
    {
        ArgumentNullException.ThrowIfNull(auction);
        Type = EventType.Auction;
        _entity = auction;
        Bid = default;
    }

    /// <summary>Wraps a bid.</summary>
    public Event(Bid bid)
    {
        Type = EventType.Bid;
        _entity = null;
        Bid = bid;
    }

    /// <summary>What the event holds.</summary>
    public EventType Type { get; }

    /// <summary>The bid (default unless <see cref="Type"/> is <see cref="EventType.Bid"/>).</summary>
    public Bid Bid { get; }

    /// <summary>The person, or null.</summary>
    public Person? Person => _entity as Person;

    /// <summary>The auction, or null.</summary>
    public Auction? Auction => _entity as Auction;

    /// <summary>The event time in epoch milliseconds (Flink Nexmark's computed <c>dateTime</c> column).</summary>
    public long DateTime => Type switch
    {
        EventType.Bid => Bid.DateTime,
        EventType.Auction => ((Auction)_entity!).DateTime,
        _ => ((Person)_entity!).DateTime,
    };

    /// <inheritdoc />
    public bool Equals(Event other) => Type == other.Type && Bid == other.Bid && Equals(_entity, other._entity);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Event other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, Bid, _entity);

    /// <inheritdoc />
    public override string ToString() => Type switch
    {
        EventType.Bid => Bid.ToString(),
        _ => _entity!.ToString()!,
    };

    /// <summary>Equal events.</summary>
    public static bool operator ==(Event left, Event right) => left.Equals(right);

    /// <summary>Different events.</summary>
    public static bool operator !=(Event left, Event right) => !left.Equals(right);
}
