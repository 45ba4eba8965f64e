using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Weir.Grains;

/// <summary>
/// The identity of a grain: its grain type and a string key, formatted as <c>type/key</c>.
/// Two ids are equal when type and key are equal (ordinal). The key may contain any character,
/// including <c>/</c>; the type may not.
/// </summary>
public readonly struct GrainId : IEquatable<GrainId>, IComparable<GrainId>
{
    private readonly string? _type;
    private readonly string? _key;

    /// <summary>Creates an id from a grain type name and a key.</summary>
    /// <exception cref="ArgumentException">The type is empty or contains '/'.</exception>
    public GrainId(string type, string key)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(key);
        if (type.Length == 0 || type.Contains('/'))
        {
            throw new ArgumentException($"Grain type '{type}' is not valid: it must be non-empty and must not contain '/'.", nameof(type));
        }

        _type = type;
        _key = key;
    }

    /// <summary>The grain type name, e.g. <c>counter</c>.</summary>
    public string Type => _type ?? string.Empty;

    /// <summary>The key within the grain type.</summary>
    public string Key => _key ?? string.Empty;

    /// <summary>True for <c>default(GrainId)</c>.</summary>
    public bool IsDefault => _type is null;

    /// <summary>Parses <c>type/key</c>.</summary>
    /// <exception cref="FormatException">The text has no '/' or an empty type.</exception>
    public static GrainId Parse(string text)
    {
        if (!TryParse(text, out var id))
        {
            throw new FormatException($"'{text}' is not a grain id: expected '<type>/<key>' with a non-empty type.");
        }

        return id;
    }

    /// <summary>Parses <c>type/key</c>, returning false for malformed text.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out GrainId id)
    {
        id = default;
        if (text is null)
        {
            return false;
        }

        var slash = text.IndexOf('/');
        if (slash <= 0)
        {
            return false;
        }

        id = new GrainId(text[..slash], text[(slash + 1)..]);
        return true;
    }

    /// <summary>
    /// A hash that is the same in every process and on every machine (unlike
    /// <see cref="string.GetHashCode()"/>), for placement over a cluster.
    /// </summary>
    public uint GetUniformHashCode() => StableHash.Of(Type, Key);

    /// <inheritdoc />
    public bool Equals(GrainId other) => string.Equals(_type, other._type, StringComparison.Ordinal)
        && string.Equals(_key, other._key, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is GrainId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_type, _key);

    /// <inheritdoc />
    public int CompareTo(GrainId other)
    {
        var byType = string.CompareOrdinal(Type, other.Type);
        return byType != 0 ? byType : string.CompareOrdinal(Key, other.Key);
    }

    /// <summary>Formats as <c>type/key</c>.</summary>
    public override string ToString() => IsDefault ? "(none)" : $"{_type}/{_key}";

    /// <summary>Equality.</summary>
    public static bool operator ==(GrainId left, GrainId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(GrainId left, GrainId right) => !left.Equals(right);
}

/// <summary>A 32-bit FNV-1a over UTF-16 code units, then a final avalanche; stable across processes.</summary>
internal static class StableHash
{
    public static uint Of(string a, string b)
    {
        var h = 2166136261u;
        h = Mix(h, a);
        h = (h ^ '/') * 16777619u;
        h = Mix(h, b);
        return Avalanche(h);
    }

    public static uint Of(string text) => Avalanche(Mix(2166136261u, text));

    public static uint Of(ReadOnlySpan<byte> bytes)
    {
        var h = 2166136261u;
        foreach (var b in bytes)
        {
            h = (h ^ b) * 16777619u;
        }

        return Avalanche(h);
    }

    private static uint Mix(uint h, string text)
    {
        foreach (var c in text)
        {
            h = (h ^ (c & 0xFFu)) * 16777619u;
            h = (h ^ (uint)(c >> 8)) * 16777619u;
        }

        return h;
    }

    // murmur3 fmix32: spreads FNV's weak low bits over the whole word.
    internal static uint Avalanche(uint h)
    {
        h ^= h >> 16;
        h *= 0x85ebca6bu;
        h ^= h >> 13;
        h *= 0xc2b2ae35u;
        h ^= h >> 16;
        return h;
    }

    internal static string Describe(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
