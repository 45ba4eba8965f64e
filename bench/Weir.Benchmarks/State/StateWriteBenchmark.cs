using BenchmarkDotNet.Attributes;
using Weir.Checkpointing.Metadata;
using Weir.Serialization;
using Weir.Streaming.State;

namespace Weir.Benchmarks.State;

/// <summary>
/// The write path of keyed state with and without change tracking (incremental checkpoints):
/// one operation = 1,024 writes to keys already in state (value updates, list appends, map puts);
/// and, for the cost of a checkpoint's synchronous part, the same value updates followed by the
/// cut that serializes the changes. The keys are the same in every operation, so with tracking
/// <see cref="ValueUpdates"/> measures repeated puts (which skip the change set until the next
/// cut); <see cref="ValueUpdatesThenCut"/> pays for recording each key once per cut.
/// A fixed invocation count bounds what <see cref="ListAppends"/> adds between its resets.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(4096)]
public class StateWriteBenchmark
{
    private const int Keys = 100_000;
    private const int WritesPerOperation = 1_024;
    private readonly DataWriter _cut = new(64 * 1024);
    private HeapKeyedStateBackend<long> _backend = null!;
    private IValueState<long> _value = null!;
    private IListState<long> _list = null!;
    private IMapState<int, long> _map = null!;
    private long[] _keys = [];

    [Params(false, true)]
    public bool Tracked { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _backend = new HeapKeyedStateBackend<long>(new KeyGroupRange(0, PayloadState.MaxParallelism), PayloadState.MaxParallelism);
        if (Tracked)
        {
            _backend.TrackChanges();
        }

        _value = _backend.GetValueState(new ValueStateDescriptor<long>("value"));
        _list = _backend.GetListState(new ListStateDescriptor<long>("list"));
        _map = _backend.GetMapState(new MapStateDescriptor<int, long>("map"));
        for (long key = 0; key < Keys; key++)
        {
            _backend.SetCurrentKey(key);
            _value.Update(key);
            _list.Add(key);
            _map.Put(0, key);
        }

        var random = new Random(1);
        _keys = [.. Enumerable.Range(0, WritesPerOperation).Select(_ => random.NextInt64(Keys))];
        Cut();
    }

    [Benchmark]
    public void ValueUpdates()
    {
        foreach (var key in _keys)
        {
            _backend.SetCurrentKey(key);
            _value.Update(key + 1);
        }
    }

    [Benchmark]
    public void ValueUpdatesThenCut()
    {
        ValueUpdates();
        Cut();
    }

    [IterationSetup(Target = nameof(ListAppends))]
    public void ResetLists()
    {
        foreach (var key in _keys)
        {
            _backend.SetCurrentKey(key);
            _list.Update([key]);
        }
    }

    [Benchmark]
    public void ListAppends()
    {
        foreach (var key in _keys)
        {
            _backend.SetCurrentKey(key);
            _list.Add(key);
        }
    }

    [Benchmark]
    public void MapPuts()
    {
        foreach (var key in _keys)
        {
            _backend.SetCurrentKey(key);
            _map.Put((int)(key & 7), key);
        }
    }

    /// <summary>What a checkpoint's synchronous part takes of the changes (nothing untracked).</summary>
    private void Cut()
    {
        if (!Tracked)
        {
            return;
        }

        foreach (var table in _backend.Tables)
        {
            for (var index = 0; index < PayloadState.MaxParallelism; index++)
            {
                _cut.Reset();
                table.WriteChanges(index, _cut);
            }
        }
    }
}
