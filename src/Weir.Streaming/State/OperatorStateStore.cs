using Weir.Checkpointing.Metadata;
using Weir.Serialization;

namespace Weir.Streaming.State;

/// <summary>
/// Operator (non-keyed) list states of one operator subtask. Small by design (source offsets,
/// pending sink files): snapshotted synchronously, inlined in the checkpoint metadata, and
/// redistributed item by item when parallelism changes.
/// </summary>
internal sealed class OperatorStateStore(IReadOnlyDictionary<string, IReadOnlyList<byte[]>> restored)
{
    private readonly Dictionary<string, IOperatorListStateSnapshot> _states = new(StringComparer.Ordinal);

    /// <summary>A list state by name; restored items are decoded on first use.</summary>
    public IOperatorListState<T> GetListState<T>(string name, OperatorStateDistribution distribution = OperatorStateDistribution.EvenSplit)
    {
        if (_states.TryGetValue(name, out var existing))
        {
            return existing as OperatorListState<T> ?? throw new InvalidOperationException($"Operator state '{name}' was registered before with another type.");
        }

        var state = new OperatorListState<T>(name, distribution, restored.TryGetValue(name, out var items) ? items : []);
        _states.Add(name, state);
        return state;
    }

    /// <summary>Encodes every registered list state.</summary>
    public IReadOnlyList<OperatorListStateHandle> Snapshot() => _states.Values.Select(s => s.Snapshot()).ToArray();

    private interface IOperatorListStateSnapshot
    {
        OperatorListStateHandle Snapshot();
    }

    private sealed class OperatorListState<T> : IOperatorListState<T>, IOperatorListStateSnapshot
    {
        private readonly string _name;
        private readonly OperatorStateDistribution _distribution;
        private readonly ISerializer<T> _serializer = Serializers.Get<T>();
        private List<T> _items;

        public OperatorListState(string name, OperatorStateDistribution distribution, IReadOnlyList<byte[]> restored)
        {
            _name = name;
            _distribution = distribution;
            _items = restored.Select(bytes =>
            {
                var reader = new DataReader(bytes);
                return _serializer.Read(ref reader);
            }).ToList();
        }

        public IReadOnlyList<T> Get() => _items;

        public void Update(IEnumerable<T> items) => _items = [.. items];

        public void Add(T item) => _items.Add(item);

        public void Clear() => _items.Clear();

        public OperatorListStateHandle Snapshot()
        {
            var writer = new DataWriter(64);
            var items = new byte[_items.Count][];
            for (var i = 0; i < items.Length; i++)
            {
                writer.Reset();
                _serializer.Write(writer, _items[i]);
                items[i] = writer.ToArray();
            }

            return new OperatorListStateHandle(_name, _distribution, items);
        }
    }
}
