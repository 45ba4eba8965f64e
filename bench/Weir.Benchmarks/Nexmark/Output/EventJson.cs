using System.Text.Json;
using Weir.Benchmarks.Nexmark.Generator;
using Weir.Benchmarks.Nexmark.Model;

namespace Weir.Benchmarks.Nexmark.Output;

/// <summary>
/// Writes events as JSON lines (<c>--dump-events</c>): one object per event, in event-number order,
/// with a <c>type</c> (person, auction, bid) and the Nexmark field names in camelCase; times are
/// epoch milliseconds.
/// </summary>
public static class EventJson
{
    /// <summary>Writes the first <paramref name="events"/> events of <paramref name="generator"/> to <paramref name="path"/>.</summary>
    public static void Dump(NexmarkGenerator generator, long events, string path)
    {
        ArgumentNullException.ThrowIfNull(generator);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { SkipValidation = true });
        for (var n = 0L; n < events; n++)
        {
            Write(json, generator.At(n));
            json.Flush();
            stream.WriteByte((byte)'\n');
            json.Reset(stream);
        }
    }

    /// <summary>One event as a JSON object.</summary>
    public static void Write(Utf8JsonWriter json, Event e)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartObject();
        switch (e.Type)
        {
            case EventType.Person:
                var p = e.Person!;
                json.WriteString("type", "person");
                json.WriteNumber("id", p.Id);
                json.WriteString("name", p.Name);
                json.WriteString("emailAddress", p.EmailAddress);
                json.WriteString("creditCard", p.CreditCard);
                json.WriteString("city", p.City);
                json.WriteString("state", p.State);
                json.WriteNumber("dateTime", p.DateTime);
                json.WriteString("extra", p.Extra);
                break;
            case EventType.Auction:
                var a = e.Auction!;
                json.WriteString("type", "auction");
                json.WriteNumber("id", a.Id);
                json.WriteString("itemName", a.ItemName);
                json.WriteString("description", a.Description);
                json.WriteNumber("initialBid", a.InitialBid);
                json.WriteNumber("reserve", a.Reserve);
                json.WriteNumber("dateTime", a.DateTime);
                json.WriteNumber("expires", a.Expires);
                json.WriteNumber("seller", a.Seller);
                json.WriteNumber("category", a.Category);
                json.WriteString("extra", a.Extra);
                break;
            default:
                var b = e.Bid;
                json.WriteString("type", "bid");
                json.WriteNumber("auction", b.Auction);
                json.WriteNumber("bidder", b.Bidder);
                json.WriteNumber("price", b.Price);
                json.WriteString("channel", b.Channel);
                json.WriteString("url", b.Url);
                json.WriteNumber("dateTime", b.DateTime);
                json.WriteString("extra", b.Extra);
                break;
        }

        json.WriteEndObject();
    }
}
