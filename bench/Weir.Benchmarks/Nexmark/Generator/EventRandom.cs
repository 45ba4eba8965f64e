using System.Runtime.CompilerServices;

namespace Weir.Benchmarks.Nexmark.Generator;

/// <summary>
/// The random choices of one event: a SplitMix64 stream seeded by (seed, event number), so event n
/// is the same whichever partition, subtask or restore generates it, and costs no allocation
/// (Flink's generator draws from one shared SplittableRandom, which makes its streams differ run to run).
/// </summary>
internal struct EventRandom
{
    private ulong _state;

    public EventRandom(long seed, long eventNumber) =>
        _state = Mix((ulong)seed * 0x9E3779B97F4A7C15UL ^ Mix((ulong)eventNumber + 0x632BE59BD9B4E019UL));

    /// <summary>A stream for tables derived from the seed alone (channel URLs, padding text).</summary>
    public static EventRandom ForTables(long seed, long table) => new(seed ^ 0x5DEECE66DL, -1 - table);

    /// <summary>A uniform integer in [0, <paramref name="bound"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextInt(int bound) => (int)(((NextUInt64() >> 32) * (ulong)(uint)bound) >> 32);

    /// <summary>A uniform integer in [0, <paramref name="bound"/>) (Nexmark's LongGenerator).</summary>
    public long NextLong(long bound) => bound <= int.MaxValue ? NextInt((int)bound) : (long)(NextUInt64() % (ulong)bound);

    /// <summary>A uniform double in [0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
