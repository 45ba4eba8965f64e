using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Weir.Streaming.State;

/// <summary>
/// A value that can ask the processor to fetch what it points to (a map's entry array) ahead of a
/// pass that will read it; see <see cref="Prefetch"/>.
/// </summary>
internal interface IPrefetchable
{
    /// <summary>Hints that the value's contents are about to be read; reads nothing itself.</summary>
    void PrefetchContents();
}

/// <summary>
/// Software prefetch for passes over many state values (a cut's changed entries, a snapshot's key
/// group): values live scattered over the heap, so serializing them one after another waits on a
/// cache miss or two per value; asking for the value some entries ahead overlaps those misses.
/// Hints only: an address that is stale by the time it is used (the GC moved the object) costs a
/// wasted fetch, never a wrong read. Without SSE (ARM) it does nothing.
/// </summary>
internal static class Prefetch
{
    /// <summary>How many entries ahead a pass asks for a value (and half as many for its contents).</summary>
    public const int Distance = 8;

    /// <summary>Off: passes ask for nothing ahead (for benchmarks comparing the two).</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>
    /// Hints the first two cache lines of <paramref name="value"/>'s object; for a value type, which is
    /// where it is already, what it refers to if it can say (<see cref="IPrefetchable"/>).
    /// </summary>
    public static void Object<T>(T value)
    {
        if (!typeof(T).IsValueType)
        {
            if (value is not null)
            {
                Lines(Unsafe.As<T, IntPtr>(ref value));
            }
        }
        else if (Inline<T>.Contents is { } contents)
        {
            contents(value);
        }
    }

    /// <summary>A value type's <see cref="IPrefetchable.PrefetchContents"/> as a constrained call (an interface cast would box it).</summary>
    private static void ContentsOf<T>(T value)
        where T : struct, IPrefetchable => value.PrefetchContents();

    /// <summary>For a value type <typeparamref name="T"/> that is <see cref="IPrefetchable"/>, its <see cref="ContentsOf{T}"/>; null otherwise.</summary>
    private static class Inline<T>
    {
        public static readonly Action<T>? Contents = typeof(T).IsValueType && typeof(IPrefetchable).IsAssignableFrom(typeof(T))
            ? typeof(Prefetch).GetMethod(nameof(ContentsOf), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(typeof(T)).CreateDelegate<Action<T>>()
            : null;
    }

    /// <summary>Hints an array's first two cache lines (its elements start after a 16-byte header).</summary>
    public static void Array<T>(T[] array) => Lines(Unsafe.As<T[], IntPtr>(ref array));

    private static unsafe void Lines(IntPtr address)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0((byte*)address);
            Sse.Prefetch0((byte*)address + 64);
        }
    }

    /// <summary>
    /// In a pass over <paramref name="entries"/> about to handle entry <paramref name="index"/>: asks
    /// for the value <see cref="Distance"/> entries ahead, and for the contents of the one half as far
    /// (its object asked for earlier, so reading where its contents are hits the cache). A value type's
    /// contents are asked for at the full distance: the value itself is in the entry.
    /// </summary>
    public static void Ahead<TKey, TValue>(ReadOnlySpan<KeyValuePair<TKey, TValue>> entries, int index)
    {
        if (!Enabled)
        {
            return;
        }

        if (index + Distance < entries.Length)
        {
            Object(entries[index + Distance].Value);
        }

        if (!typeof(TValue).IsValueType && index + (Distance / 2) < entries.Length && entries[index + (Distance / 2)].Value is IPrefetchable contents)
        {
            contents.PrefetchContents();
        }
    }
}
