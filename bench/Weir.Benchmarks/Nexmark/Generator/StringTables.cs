using System.Collections.Concurrent;
using System.Globalization;

namespace Weir.Benchmarks.Nexmark.Generator;

/// <summary>
/// The strings Nexmark draws from: names, cities and states (the specification's short lists, so
/// queries find matches), channels with their URLs (4 hot ones and a cache of 10,000, as in Flink's
/// generator), and random text for <c>extra</c> padding. Everything random here is derived from the
/// seed, so two runs with one seed generate identical strings. One instance per seed, shared by threads.
/// </summary>
internal sealed class StringTables
{
    public const int ChannelCount = 10_000;

    public static readonly string[] FirstNames = ["Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"];

    public static readonly string[] LastNames = ["Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"];

    public static readonly string[] UsStates = ["AZ", "CA", "ID", "OR", "WA", "WY"];

    public static readonly string[] UsCities = ["Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"];

    public static readonly string[] HotChannels = ["Google", "Facebook", "Baidu", "Apple"];

    /// <summary>Variants of bid padding per length: bids take their <c>extra</c> from here instead of allocating it.</summary>
    private const int PaddingVariants = 64;

    private const int MinStringLength = 3;

    private static readonly ConcurrentDictionary<long, StringTables> BySeed = new();
    private static readonly string[] CreditCardGroups = Enumerable.Range(0, 10_000).Select(i => i.ToString("D4", CultureInfo.InvariantCulture)).ToArray();

    private readonly string _text;
    private readonly string?[][] _padding = new string?[4096][];

    private StringTables(long seed)
    {
        var random = EventRandom.ForTables(seed, 0);
        PersonNames = FirstNames.SelectMany(first => LastNames.Select(last => $"{first} {last}")).ToArray();
        HotUrls = HotChannels.Select(_ => BaseUrl(ref random)).ToArray();
        Channels = new string[ChannelCount];
        ChannelUrls = new string[ChannelCount];
        for (var i = 0; i < ChannelCount; i++)
        {
            var url = BaseUrl(ref random);
            if (random.NextInt(10) > 0)
            {
                url += "&channel_id=" + Math.Abs((long)ReverseBits(i)).ToString(CultureInfo.InvariantCulture);
            }

            Channels[i] = "channel-" + i.ToString(CultureInfo.InvariantCulture);
            ChannelUrls[i] = url;
        }

        var text = new char[1 << 20];
        for (var i = 0; i < text.Length; i++)
        {
            text[i] = (char)('a' + random.NextInt(26));
        }

        _text = new string(text);
    }

    /// <summary>"First Last" for every first name (index / LastNames.Length) and last name (index % LastNames.Length).</summary>
    public string[] PersonNames { get; }

    public string[] HotUrls { get; }

    public string[] Channels { get; }

    public string[] ChannelUrls { get; }

    public static StringTables For(long seed) => BySeed.GetOrAdd(seed, s => new StringTables(s));

    /// <summary>Four random groups of four digits (a credit card number).</summary>
    public static string CreditCard(ref EventRandom random) => string.Join(
        ' ',
        CreditCardGroups[random.NextInt(10_000)],
        CreditCardGroups[random.NextInt(10_000)],
        CreditCardGroups[random.NextInt(10_000)],
        CreditCardGroups[random.NextInt(10_000)]);

    /// <summary>Nexmark's nextString: 3 to maxLength - 1 letters, about one in 13 replaced by <paramref name="special"/>, trimmed.</summary>
    public static string NextString(ref EventRandom random, int maxLength, char special = ' ')
    {
        var length = MinStringLength + random.NextInt(maxLength - MinStringLength);
        Span<char> chars = stackalloc char[length];
        for (var i = 0; i < length; i += 2)
        {
            // Two characters per draw, 32 bits each: the high 16 bits pick special (1 in 13) or a letter by the low 16.
            var bits = random.NextUInt64();
            chars[i] = Character((uint)bits, special);
            if (i + 1 < length)
            {
                chars[i + 1] = Character((uint)(bits >> 32), special);
            }
        }

        return special == ' ' ? new string(chars.Trim(' ')) : new string(chars);
    }

    /// <summary>
    /// Nexmark's nextExtra: random letters such that <paramref name="currentSize"/> plus their length
    /// averages <paramref name="averageSize"/> (uniform within ±20%). Freshly allocated.
    /// </summary>
    public string Extra(ref EventRandom random, int currentSize, int averageSize)
    {
        var length = ExtraLength(ref random, currentSize, averageSize);
        return length == 0 ? string.Empty : _text.Substring(random.NextInt(_text.Length - length), length);
    }

    /// <summary>As <see cref="Extra"/>, but one of a fixed set of strings per length: no allocation per call.</summary>
    public string PooledExtra(ref EventRandom random, int currentSize, int averageSize)
    {
        var length = ExtraLength(ref random, currentSize, averageSize);
        if (length == 0)
        {
            return string.Empty;
        }

        var variants = length < _padding.Length ? Volatile.Read(ref _padding[length]) : null;
        if (variants is null)
        {
            if (length >= _padding.Length)
            {
                return _text.Substring(random.NextInt(_text.Length - length), length);
            }

            // Racing threads build equal arrays (pure functions of the length); either one wins.
            variants = new string?[PaddingVariants];
            Interlocked.CompareExchange(ref _padding[length], variants, null);
            variants = _padding[length];
        }

        var variant = random.NextInt(PaddingVariants);
        return Volatile.Read(ref variants[variant]) ?? (variants[variant] = _text.Substring(((length * 7919) + (variant * 104_729)) % (_text.Length - length), length));
    }

    private static char Character(uint bits, char special) =>
        (((bits >> 16) * 13) >> 16) == 0 ? special : (char)('a' + (((bits & 0xFFFF) * 26) >> 16));

    private static int ExtraLength(ref EventRandom random, int currentSize, int averageSize)
    {
        if (currentSize > averageSize)
        {
            return 0;
        }

        var desired = averageSize - currentSize;
        var delta = (int)Math.Round(desired * 0.2, MidpointRounding.AwayFromZero);
        return desired - delta + (delta == 0 ? 0 : random.NextInt(2 * delta));
    }

    private static string BaseUrl(ref EventRandom random) =>
        "https://www.nexmark.com/" + NextString(ref random, 5, '_') + '/' + NextString(ref random, 5, '_') + '/' + NextString(ref random, 5, '_') + "/item.htm?query=1";

    private static int ReverseBits(int value)
    {
        var v = (uint)value;
        var result = 0u;
        for (var i = 0; i < 32; i++)
        {
            result = (result << 1) | (v & 1);
            v >>= 1;
        }

        return (int)result;
    }
}
