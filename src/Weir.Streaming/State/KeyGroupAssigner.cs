using System.Runtime.CompilerServices;
using Weir.Serialization;

namespace Weir.Streaming.State;

/// <summary>
/// Maps keys to key groups: <c>keyGroup = mix(hash(key)) % maxParallelism</c>. The hash must be
/// the same in every process and run (state is stored per key group and restored elsewhere), so
/// it is never <see cref="object.GetHashCode"/> of a string: primitives hash their value, strings
/// their UTF-16 code units, tuples combine their parts, and anything else hashes its serialized bytes.
/// </summary>
public static class KeyGroupAssigner
{
    /// <summary>The key group of <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int KeyGroupFor<TKey>(TKey key, int maxParallelism) =>
        (int)(Mix(StableKeyHash<TKey>.Hash(key)) % (uint)maxParallelism);

    /// <summary>Murmur3's finalizer: spreads every input bit over the result.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85ebca6bu;
        h ^= h >> 13;
        h *= 0xc2b2ae35u;
        h ^= h >> 16;
        return h;
    }
}

/// <summary>A process-independent hash of keys of type <typeparamref name="TKey"/>.</summary>
public static class StableKeyHash<TKey>
{
    private static readonly Func<TKey, uint> Hasher = Create();

    /// <summary>The stable hash of <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash(TKey key)
    {
        if (typeof(TKey) == typeof(int))
        {
            return (uint)Unsafe.As<TKey, int>(ref key);
        }

        if (typeof(TKey) == typeof(long))
        {
            var value = Unsafe.As<TKey, long>(ref key);
            return (uint)value ^ (uint)(value >> 32);
        }

        return Hasher(key);
    }

    private static Func<TKey, uint> Create()
    {
        var type = typeof(TKey);
        if (type == typeof(string))
        {
            return key => StableHashes.OfString((string)(object)key!);
        }

        if (type == typeof(int) || type == typeof(short) || type == typeof(byte) || type == typeof(char) || type == typeof(uint) || type == typeof(ushort))
        {
            return key => (uint)Convert.ToInt64(key, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (type == typeof(long) || type == typeof(ulong))
        {
            return key =>
            {
                var value = Convert.ToUInt64(key, System.Globalization.CultureInfo.InvariantCulture);
                return (uint)value ^ (uint)(value >> 32);
            };
        }

        if (type == typeof(bool))
        {
            return key => (bool)(object)key! ? 1u : 0u;
        }

        if (type == typeof(Guid))
        {
            return key => StableHashes.OfBytes(((Guid)(object)key!).ToByteArray());
        }

        if (type.IsEnum)
        {
            // A ulong enum can exceed Int64; its low 32 bits are the same either way, so no other key group moves.
            return Enum.GetUnderlyingType(type) == typeof(ulong)
                ? key => (uint)Convert.ToUInt64(key, System.Globalization.CultureInfo.InvariantCulture)
                : key => (uint)Convert.ToInt64(key, System.Globalization.CultureInfo.InvariantCulture);
        }

        var serializer = Serializers.Get<TKey>();
        return key =>
        {
            var writer = ThreadWriter ??= new DataWriter(64);
            writer.Reset();
            serializer.Write(writer, key);
            return StableHashes.OfBytes(writer.WrittenSpan);
        };
    }

    [ThreadStatic]
    private static DataWriter? ThreadWriter;
}

internal static class StableHashes
{
    public static uint OfString(string text)
    {
        var h = 2166136261u;
        foreach (var c in text)
        {
            h = (h ^ c) * 16777619u;
        }

        return h;
    }

    public static uint OfBytes(ReadOnlySpan<byte> bytes)
    {
        var h = 2166136261u;
        foreach (var b in bytes)
        {
            h = (h ^ b) * 16777619u;
        }

        return h;
    }
}
