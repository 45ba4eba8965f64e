using System.Runtime.CompilerServices;
using Weir.Benchmarks.Nexmark.Queries;
using Weir.Serialization;

namespace Weir.Benchmarks.Nexmark.Model;

/// <summary>
/// Binary serializers of the Nexmark records and query rows (varints and length-prefixed strings),
/// registered when the assembly loads: keyed state, timers' keys and sink transactions that hold
/// them are checkpointed without the JSON fallback.
/// </summary>
internal static class ModelSerializers
{
#pragma warning disable CA2255 // Registering serializers before any job uses the types is what module initializers are for.
    [ModuleInitializer]
    internal static void Register()
    {
        Serializers.Register<Bid>(new Lambda<Bid>(WriteBid, ReadBid));
        Serializers.Register<Person>(new Lambda<Person>(WritePerson, ReadPerson));
        Serializers.Register<Auction>(new Lambda<Auction>(WriteAuction, ReadAuction));
        Serializers.Register<Event>(new Lambda<Event>(WriteEvent, ReadEvent));
        Serializers.Register<Q1Row>(new Lambda<Q1Row>(
            (w, v) => { w.WriteVarInt64(v.Auction); w.WriteVarInt64(v.Bidder); Serializers.Get<decimal>().Write(w, v.Price); w.WriteVarInt64(v.DateTime); w.WriteString(v.Extra); },
            (ref DataReader r) => new Q1Row(r.ReadVarInt64(), r.ReadVarInt64(), Serializers.Get<decimal>().Read(ref r), r.ReadVarInt64(), r.ReadString()!)));
        Serializers.Register<Q2Row>(new Lambda<Q2Row>((w, v) => { w.WriteVarInt64(v.Auction); w.WriteVarInt64(v.Price); }, (ref DataReader r) => new Q2Row(r.ReadVarInt64(), r.ReadVarInt64())));
        Serializers.Register<Q3Row>(new Lambda<Q3Row>(
            (w, v) => { w.WriteString(v.Name); w.WriteString(v.City); w.WriteString(v.State); w.WriteVarInt64(v.Id); },
            (ref DataReader r) => new Q3Row(r.ReadString()!, r.ReadString()!, r.ReadString()!, r.ReadVarInt64())));
        Serializers.Register<Q4Row>(new Lambda<Q4Row>((w, v) => { w.WriteVarInt64(v.Id); w.WriteVarInt64(v.Final); }, (ref DataReader r) => new Q4Row(r.ReadVarInt64(), r.ReadVarInt64())));
        Serializers.Register<Q4Winner>(new Lambda<Q4Winner>(
            (w, v) => { w.WriteVarInt64(v.Auction); w.WriteVarInt64(v.Category); w.WriteVarInt64(v.Price); },
            (ref DataReader r) => new Q4Winner(r.ReadVarInt64(), r.ReadVarInt64(), r.ReadVarInt64())));
        Serializers.Register<Q5Row>(new Lambda<Q5Row>(
            (w, v) => { w.WriteVarInt64(v.Auction); w.WriteVarInt64(v.Num); w.WriteVarInt64(v.StartTime); w.WriteVarInt64(v.EndTime); },
            (ref DataReader r) => new Q5Row(r.ReadVarInt64(), r.ReadVarInt64(), r.ReadVarInt64(), r.ReadVarInt64())));
        Serializers.Register<AuctionCount>(new Lambda<AuctionCount>(
            (w, v) => { w.WriteVarInt64(v.Auction); w.WriteVarInt64(v.Num); w.WriteVarInt64(v.StartTime); w.WriteVarInt64(v.EndTime); },
            (ref DataReader r) => new AuctionCount(r.ReadVarInt64(), r.ReadVarInt64(), r.ReadVarInt64(), r.ReadVarInt64())));
        Serializers.Register<Q7Piece>(new Lambda<Q7Piece>(
            (w, v) => { w.WriteVarInt64(v.WindowEnd); w.WriteVarInt64(v.MaxPrice); Serializers.Get<Bid[]>().Write(w, v.Bids); w.WriteBoolean(v.IsBoundary); },
            (ref DataReader r) => new Q7Piece(r.ReadVarInt64(), r.ReadVarInt64(), Serializers.Get<Bid[]>().Read(ref r) ?? [], r.ReadBoolean())));
        Serializers.Register<Q8Row>(new Lambda<Q8Row>(
            (w, v) => { w.WriteVarInt64(v.Id); w.WriteString(v.Name); w.WriteVarInt64(v.StartTime); },
            (ref DataReader r) => new Q8Row(r.ReadVarInt64(), r.ReadString()!, r.ReadVarInt64())));
    }
#pragma warning restore CA2255

    private static void WriteBid(DataWriter w, Bid v)
    {
        w.WriteVarInt64(v.Auction);
        w.WriteVarInt64(v.Bidder);
        w.WriteVarInt64(v.Price);
        w.WriteString(v.Channel);
        w.WriteString(v.Url);
        w.WriteVarInt64(v.DateTime);
        w.WriteString(v.Extra);
    }

    private static Bid ReadBid(ref DataReader r) =>
        new(r.ReadVarInt64(), r.ReadVarInt64(), r.ReadVarInt64(), r.ReadString()!, r.ReadString()!, r.ReadVarInt64(), r.ReadString()!);

    private static void WritePerson(DataWriter w, Person v)
    {
        w.WriteVarInt64(v.Id);
        w.WriteString(v.Name);
        w.WriteString(v.EmailAddress);
        w.WriteString(v.CreditCard);
        w.WriteString(v.City);
        w.WriteString(v.State);
        w.WriteVarInt64(v.DateTime);
        w.WriteString(v.Extra);
    }

    private static Person ReadPerson(ref DataReader r) =>
        new(r.ReadVarInt64(), r.ReadString()!, r.ReadString()!, r.ReadString()!, r.ReadString()!, r.ReadString()!, r.ReadVarInt64(), r.ReadString()!);

    private static void WriteAuction(DataWriter w, Auction v)
    {
        w.WriteVarInt64(v.Id);
        w.WriteString(v.ItemName);
        w.WriteString(v.Description);
        w.WriteVarInt64(v.InitialBid);
        w.WriteVarInt64(v.Reserve);
        w.WriteVarInt64(v.DateTime);
        w.WriteVarInt64(v.Expires);
        w.WriteVarInt64(v.Seller);
        w.WriteVarInt64(v.Category);
        w.WriteString(v.Extra);
    }

    private static Auction ReadAuction(ref DataReader r) =>
        new(r.ReadVarInt64(), r.ReadString()!, r.ReadString()!, r.ReadVarInt64(), r.ReadVarInt64(), r.ReadVarInt64(), r.ReadVarInt64(), r.ReadVarInt64(), r.ReadVarInt64(), r.ReadString()!);

    private static void WriteEvent(DataWriter w, Event v)
    {
        w.WriteByte((byte)v.Type);
        switch (v.Type)
        {
            case EventType.Person:
                WritePerson(w, v.Person!);
                break;
            case EventType.Auction:
                WriteAuction(w, v.Auction!);
                break;
            default:
                WriteBid(w, v.Bid);
                break;
        }
    }

    private static Event ReadEvent(ref DataReader r) => (EventType)r.ReadByte() switch
    {
        EventType.Person => new Event(ReadPerson(ref r)),
        EventType.Auction => new Event(ReadAuction(ref r)),
        EventType.Bid => new Event(ReadBid(ref r)),
        var other => throw new SerializationException($"Unknown Nexmark event type {other}."),
    };

    private delegate T ReadFunc<T>(ref DataReader reader);

    private sealed class Lambda<T>(Action<DataWriter, T> write, ReadFunc<T> read) : ISerializer<T>
    {
        public void Write(DataWriter writer, T value) => write(writer, value);

        public T Read(ref DataReader reader) => read(ref reader);
    }
}
