using Weir.Streaming.Functions;

namespace Weir.Streaming.State;

/// <summary>
/// A value of a type that can change (<see cref="StateValues{T}"/>) is handed out as one the task may
/// change (copied first if a snapshot may read it), and the default value as a copy; the task must
/// still <see cref="Update"/> it for an incremental checkpoint to see the change, as in Flink.
/// </summary>
internal sealed class HeapValueState<TKey, T>(HeapKeyedStateBackend<TKey> backend, StateTable<TKey, T> table, T? defaultValue) : IValueState<T>
    where TKey : notnull
{
    public T? Value => table.TryGet(backend.CurrentKeyGroupIndex, backend.CurrentKey, mayChange: !StateValues<T>.Immutable, out var value) ? value : DefaultValue();

    private T? DefaultValue() => StateValues<T>.Immutable || defaultValue is null ? defaultValue : StateValues<T>.Copy(defaultValue);

    public void Update(T value) => table.Put(backend.CurrentKeyGroupIndex, backend.CurrentKey, value);

    public void Clear() => table.Remove(backend.CurrentKeyGroupIndex, backend.CurrentKey);
}

internal sealed class HeapListState<TKey, T>(HeapKeyedStateBackend<TKey> backend, StateTable<TKey, List<T>> table) : IListState<T>
    where TKey : notnull
{
    // Elements of a type that can change are handed out as ones the task may change (the list copied first if a snapshot may read it).
    public ListStateView<T> Get() => new(table.TryGet(backend.CurrentKeyGroupIndex, backend.CurrentKey, mayChange: !StateValues<T>.Immutable, out var list) ? list : null);

    public void Add(T value) => ListForUpdate().Add(value);

    public void AddAll(IEnumerable<T> values) => ListForUpdate().AddRange(values);

    public void Update(IEnumerable<T> values)
    {
        var list = values.ToList();
        if (list.Count == 0)
        {
            Clear();
        }
        else
        {
            table.Put(backend.CurrentKeyGroupIndex, backend.CurrentKey, list);
        }
    }

    public void Clear() => table.Remove(backend.CurrentKeyGroupIndex, backend.CurrentKey);

    private List<T> ListForUpdate() =>
        table.GetOrAddForAppend(backend.CurrentKeyGroupIndex, backend.CurrentKey, static () => [], static list => list.Count);
}

internal sealed class HeapMapState<TKey, TMapKey, TMapValue>(HeapKeyedStateBackend<TKey> backend, StateTable<TKey, Dictionary<TMapKey, TMapValue>> table)
    : IMapState<TMapKey, TMapValue>
    where TKey : notnull
    where TMapKey : notnull
{
    public bool IsEmpty => !table.TryGet(backend.CurrentKeyGroupIndex, backend.CurrentKey, out var map) || map.Count == 0;

    public bool TryGetValue(TMapKey key, out TMapValue value)
    {
        if (Map(out var map) && map.TryGetValue(key, out value!))
        {
            return true;
        }

        value = default!;
        return false;
    }

    public bool Contains(TMapKey key) => table.TryGet(backend.CurrentKeyGroupIndex, backend.CurrentKey, out var map) && map.ContainsKey(key);

    public void Put(TMapKey key, TMapValue value)
    {
        var map = table.GetOrAddForUpdate(backend.CurrentKeyGroupIndex, backend.CurrentKey, static () => []);
        map[key] = value;
        table.MarkEntryChanged(backend.CurrentKeyGroupIndex, backend.CurrentKey, key);
    }

    public void Remove(TMapKey key)
    {
        if (!Contains(key))
        {
            return;
        }

        table.TryGetForUpdate(backend.CurrentKeyGroupIndex, backend.CurrentKey, out var map);
        map.Remove(key);
        if (map.Count == 0)
        {
            table.Remove(backend.CurrentKeyGroupIndex, backend.CurrentKey);
        }
        else
        {
            table.MarkEntryChanged(backend.CurrentKeyGroupIndex, backend.CurrentKey, key);
        }
    }

    public IReadOnlyCollection<KeyValuePair<TMapKey, TMapValue>> Entries() => Map(out var map) ? map : [];

    // Values of a type that can change are handed out as ones the task may change (the map copied first if a snapshot may read it).
    private bool Map(out Dictionary<TMapKey, TMapValue> map) =>
        table.TryGet(backend.CurrentKeyGroupIndex, backend.CurrentKey, mayChange: !StateValues<TMapValue>.Immutable, out map);

    public void Clear() => table.Remove(backend.CurrentKeyGroupIndex, backend.CurrentKey);
}

internal sealed class HeapReducingState<TKey, T>(HeapKeyedStateBackend<TKey> backend, StateTable<TKey, T> table, Func<T, T, T> reduce) : IReducingState<T>
    where TKey : notnull
{
    // A value of a type that can change is handed out as one the task may change, as by Add (and IValueState.Value).
    public T? Get() => table.TryGet(backend.CurrentKeyGroupIndex, backend.CurrentKey, mayChange: !StateValues<T>.Immutable, out var value) ? value : default;

    // Absent and default are different: a struct's default is a value, not "nothing yet". The reduce function may
    // change the current value in place: one a snapshot may read is copied first.
    public void Add(T value) => table.Put(
        backend.CurrentKeyGroupIndex,
        backend.CurrentKey,
        table.TryGet(backend.CurrentKeyGroupIndex, backend.CurrentKey, mayChange: !StateValues<T>.Immutable, out var current) ? reduce(current, value) : value);

    public void Clear() => table.Remove(backend.CurrentKeyGroupIndex, backend.CurrentKey);
}

internal sealed class HeapAggregatingState<TKey, TIn, TAcc, TOut>(HeapKeyedStateBackend<TKey> backend, StateTable<TKey, TAcc> table, IAggregateFunction<TIn, TAcc, TOut> function)
    : IAggregatingState<TIn, TOut>
    where TKey : notnull
{
    // The result may be, or hold, the accumulator: one a snapshot may read is copied first, as by Add.
    public TOut? Get() => table.TryGet(backend.CurrentKeyGroupIndex, backend.CurrentKey, mayChange: !StateValues<TAcc>.Immutable, out var acc) ? function.GetResult(acc) : default;

    public void Add(TIn value)
    {
        // The aggregate function may change the accumulator in place: one a snapshot may read is copied first.
        var acc = table.TryGet(backend.CurrentKeyGroupIndex, backend.CurrentKey, mayChange: !StateValues<TAcc>.Immutable, out var current) ? current : function.CreateAccumulator();
        table.Put(backend.CurrentKeyGroupIndex, backend.CurrentKey, function.Add(value, acc));
    }

    public void Clear() => table.Remove(backend.CurrentKeyGroupIndex, backend.CurrentKey);
}
