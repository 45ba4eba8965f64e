using Weir.Checkpointing.Metadata;
using Weir.Serialization;
using Weir.Streaming.State.Changelog;

namespace Weir.Streaming.State;

/// <summary>
/// Keyed state on the heap (<c>state.backend.type: hashmap</c>) for one operator subtask: state
/// tables by name, each split into the subtask's key groups. The operator sets the current key
/// before it runs user code; state objects read and write the current key's entry.
///
/// Restored state arrives as raw per-state blocks before the operator registers its states;
/// each block is decoded when the state of that name is registered, with its real types. A key
/// group's blocks arrive in chain order (a full block, then deltas) and are applied in that order.
///
/// With <see cref="TrackChanges"/> (incremental checkpoints) every table records which keys change,
/// for <see cref="Changelog.KeyedStateChangelog"/> to write deltas.
/// </summary>
internal sealed class HeapKeyedStateBackend<TKey> : IKeyedStateBackend
    where TKey : notnull
{
    private readonly Dictionary<string, IStateTable> _tables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(int KeyGroupIndex, SegmentKind Kind, byte[] Payload)>> _pendingRestore = new(StringComparer.Ordinal);
    private int _currentKeyGroupIndex;
    private bool _tracksChanges;

    public HeapKeyedStateBackend(KeyGroupRange range, int maxParallelism)
    {
        Range = range;
        MaxParallelism = maxParallelism;
    }

    public KeyGroupRange Range { get; }

    public int MaxParallelism { get; }

    public TKey CurrentKey { get; private set; } = default!;

    public int CurrentKeyGroupIndex => _currentKeyGroupIndex;

    public IEnumerable<IStateTable> Tables => _tables.Values;

    /// <summary>Scopes state access to <paramref name="key"/>.</summary>
    /// <exception cref="InvalidOperationException">The key's group is not this subtask's (records were partitioned wrongly).</exception>
    public void SetCurrentKey(TKey key)
    {
        var keyGroup = KeyGroupAssigner.KeyGroupFor(key, MaxParallelism);
        if (!Range.Contains(keyGroup))
        {
            throw new InvalidOperationException($"Key '{key}' belongs to key group {keyGroup}, outside this subtask's range {Range}: the stream was not partitioned by this key (use KeyBy).");
        }

        CurrentKey = key;
        _currentKeyGroupIndex = keyGroup - Range.Start;
    }

    /// <summary>Scopes state access to a key whose group is already known (timers, restored keys).</summary>
    public void SetCurrentKey(TKey key, int keyGroup)
    {
        CurrentKey = key;
        _currentKeyGroupIndex = keyGroup - Range.Start;
    }

    public IValueState<T> GetValueState<T>(ValueStateDescriptor<T> descriptor) =>
        new HeapValueState<TKey, T>(this, Table<T>(descriptor.Name, StateValues<T>.Copier), descriptor.DefaultValue);

    public IListState<T> GetListState<T>(ListStateDescriptor<T> descriptor) =>
        new HeapListState<TKey, T>(this, Table(descriptor.Name, new ListValueDelta<T>()));

    public IMapState<TMapKey, TMapValue> GetMapState<TMapKey, TMapValue>(MapStateDescriptor<TMapKey, TMapValue> descriptor)
        where TMapKey : notnull =>
        new HeapMapState<TKey, TMapKey, TMapValue>(this, Table(descriptor.Name, new MapValueDelta<TMapKey, TMapValue>()));

    public IReducingState<T> GetReducingState<T>(ReducingStateDescriptor<T> descriptor) =>
        new HeapReducingState<TKey, T>(this, Table<T>(descriptor.Name, StateValues<T>.Copier), descriptor.Reduce);

    public IAggregatingState<TIn, TOut> GetAggregatingState<TIn, TAcc, TOut>(AggregatingStateDescriptor<TIn, TAcc, TOut> descriptor) =>
        new HeapAggregatingState<TKey, TIn, TAcc, TOut>(this, Table<TAcc>(descriptor.Name, StateValues<TAcc>.Copier), descriptor.Function);

    /// <summary>A table registered by name (created on first use; restored blocks are decoded then).</summary>
    /// <param name="name">The state's name.</param>
    /// <param name="copyValue">Deep-copies a value for copy-on-write if values are mutable containers; null if values are immutable.</param>
    public StateTable<TKey, TValue> Table<TValue>(string name, Func<TValue, TValue>? copyValue) => Table(name, ValueDelta<TValue>.Whole(copyValue));

    /// <summary>Whether a restored checkpoint holds state named <paramref name="name"/> not yet registered (a table's first use decodes it).</summary>
    public bool HasPendingRestore(string name) => _pendingRestore.ContainsKey(name);

    /// <summary>A table whose values are containers with element-wise changes (lists, maps), or have a format of their own.</summary>
    /// <param name="name">The state's name.</param>
    /// <param name="values">How values are copied and their changes taken.</param>
    /// <param name="valueSerializer">How the table's values are encoded, if not by the serializer registered for their type (a table's format of its own).</param>
    public StateTable<TKey, TValue> Table<TValue>(string name, ValueDelta<TValue> values, ISerializer<TValue>? valueSerializer = null)
    {
        if (_tables.TryGetValue(name, out var existing))
        {
            return existing as StateTable<TKey, TValue>
                ?? throw new InvalidOperationException($"State '{name}' was registered before with another type; a state name must keep one type.");
        }

        var table = new StateTable<TKey, TValue>(name, Range.Count, values, valueSerializer);
        _tables.Add(name, table);
        if (_pendingRestore.Remove(name, out var blocks))
        {
            foreach (var (keyGroupIndex, kind, payload) in blocks)
            {
                Restore(table, keyGroupIndex, kind, payload);
            }
        }

        if (_tracksChanges)
        {
            table.TrackChanges();
        }

        return table;
    }

    /// <inheritdoc />
    public void TrackChanges()
    {
        _tracksChanges = true;
        foreach (var table in _tables.Values)
        {
            table.TrackChanges();
        }
    }

    /// <inheritdoc />
    public KeyedStateSnapshot Snapshot(int writers = 1) => KeyedStateSnapshot.Capture(Range, _tables.Values, writers: writers);

    /// <inheritdoc />
    public void RestoreKeyGroup(int keyGroup, ReadOnlySpan<byte> block) => Restore(keyGroup, block, SegmentKind.Full);

    /// <inheritdoc />
    public void ApplyKeyGroupDelta(int keyGroup, ReadOnlySpan<byte> block) => Restore(keyGroup, block, SegmentKind.Delta);

    private static void Restore(IStateTable table, int keyGroupIndex, SegmentKind kind, ReadOnlySpan<byte> payload)
    {
        if (kind == SegmentKind.Full)
        {
            table.RestoreFull(keyGroupIndex, payload);
        }
        else
        {
            table.ApplyChanges(keyGroupIndex, payload);
        }
    }

    private void Restore(int keyGroup, ReadOnlySpan<byte> block, SegmentKind kind)
    {
        if (!Range.Contains(keyGroup))
        {
            throw new InvalidOperationException($"Restored key group {keyGroup} is outside this subtask's range {Range}.");
        }

        var keyGroupIndex = keyGroup - Range.Start;
        var reader = new DataReader(block);
        var states = reader.ReadVarInt32();
        for (var i = 0; i < states; i++)
        {
            var name = reader.ReadString() ?? throw new SerializationException($"A state block of key group {keyGroup} has no state name.");
            var length = reader.ReadInt32();
            if (length < 0 || length > reader.Remaining)
            {
                throw new SerializationException($"State '{name}' of key group {keyGroup} claims {length} bytes but {reader.Remaining} remain.");
            }

            var payload = reader.ReadRaw(length);
            if (_tables.TryGetValue(name, out var table))
            {
                Restore(table, keyGroupIndex, kind, payload);
            }
            else
            {
                if (!_pendingRestore.TryGetValue(name, out var blocks))
                {
                    _pendingRestore[name] = blocks = [];
                }

                blocks.Add((keyGroupIndex, kind, payload.ToArray()));
            }
        }
    }
}

/// <summary>The type-erased keyed state backend of an operator, as the task sees it for checkpoints.</summary>
internal interface IKeyedStateBackend
{
    KeyGroupRange Range { get; }

    /// <summary>The registered tables.</summary>
    IEnumerable<IStateTable> Tables { get; }

    /// <summary>The synchronous part of a snapshot: captures every non-empty key group of every table, to be written by up to <paramref name="writers"/> writers at once.</summary>
    KeyedStateSnapshot Snapshot(int writers = 1);

    /// <summary>Loads one key group's full block.</summary>
    void RestoreKeyGroup(int keyGroup, ReadOnlySpan<byte> block);

    /// <summary>Applies one key group's delta block, after its full block and the deltas before it.</summary>
    void ApplyKeyGroupDelta(int keyGroup, ReadOnlySpan<byte> block);

    /// <summary>Records changes in every table, registered now or later (incremental checkpoints).</summary>
    void TrackChanges();
}
