using Weir.Checkpointing.Metadata;
using Weir.Streaming.State;

namespace Weir.Benchmarks.State;

/// <summary>
/// The keyed state the checkpoint measurements (<c>incremental</c>, <c>azure-upload</c>) write:
/// one value state, <c>payload</c>, of 1 KiB random values under long keys, over 128 key groups.
/// </summary>
internal static class PayloadState
{
    public const int MaxParallelism = 128;

    public const int ValueSize = 1024;

    /// <summary>An empty backend with the payload state registered (as a restore needs it).</summary>
    public static (HeapKeyedStateBackend<long> Backend, IValueState<byte[]> State) Create()
    {
        var backend = new HeapKeyedStateBackend<long>(new KeyGroupRange(0, MaxParallelism), MaxParallelism);
        return (backend, backend.GetValueState(new ValueStateDescriptor<byte[]>("payload")));
    }

    /// <summary>About <paramref name="bytes"/> serialized bytes of payload under keys 0, 1, 2, ... (seeded: the same every run).</summary>
    public static (HeapKeyedStateBackend<long> Backend, IValueState<byte[]> State, long Keys) Build(long bytes)
    {
        var (backend, state) = Create();
        var random = new Random(42);
        var entries = bytes / (ValueSize + 6);
        for (long key = 0; key < entries; key++)
        {
            var value = new byte[ValueSize];
            random.NextBytes(value);
            backend.SetCurrentKey(key);
            state.Update(value);
        }

        return (backend, state, entries);
    }
}
