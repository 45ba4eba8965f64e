namespace Weir.Streaming.State;

/// <summary>
/// Keyed value state: one value per key, scoped to the key of the record being processed. A value of
/// a type that can change may be changed after reading it (a checkpoint that may still be writing it
/// keeps its own copy), but only <c>Update</c> makes the change part of the state, as in Flink.
/// </summary>
public interface IValueState<T>
{
    /// <summary>The value for the current key, or the descriptor's default.</summary>
    T? Value { get; }

    /// <summary>Sets the value for the current key.</summary>
    void Update(T value);

    /// <summary>Removes the value for the current key.</summary>
    void Clear();
}

/// <summary>Keyed list state.</summary>
public interface IListState<T>
{
    /// <summary>The list for the current key (empty if none): a read-only view, enumerated by <c>foreach</c> without allocating.</summary>
    ListStateView<T> Get();

    /// <summary>Appends to the current key's list.</summary>
    void Add(T value);

    /// <summary>Appends several values.</summary>
    void AddAll(IEnumerable<T> values);

    /// <summary>Replaces the current key's list.</summary>
    void Update(IEnumerable<T> values);

    /// <summary>Removes the current key's list.</summary>
    void Clear();
}

/// <summary>Keyed map state.</summary>
public interface IMapState<TKey, TValue>
    where TKey : notnull
{
    /// <summary>Looks up an entry of the current key's map.</summary>
    bool TryGetValue(TKey key, out TValue value);

    /// <summary>Adds or replaces an entry.</summary>
    void Put(TKey key, TValue value);

    /// <summary>Removes an entry.</summary>
    void Remove(TKey key);

    /// <summary>True if the entry exists.</summary>
    bool Contains(TKey key);

    /// <summary>The entries of the current key's map.</summary>
    IReadOnlyCollection<KeyValuePair<TKey, TValue>> Entries();

    /// <summary>True if the current key has no entries.</summary>
    bool IsEmpty { get; }

    /// <summary>Removes the current key's map.</summary>
    void Clear();
}

/// <summary>Keyed reducing state: values added are reduced into one.</summary>
public interface IReducingState<T>
{
    /// <summary>The reduced value, or default if nothing was added.</summary>
    T? Get();

    /// <summary>Reduces a value into the state.</summary>
    void Add(T value);

    /// <summary>Removes the current key's value.</summary>
    void Clear();
}

/// <summary>Keyed aggregating state.</summary>
public interface IAggregatingState<in TIn, out TOut>
{
    /// <summary>The aggregate's result, or default if nothing was added.</summary>
    TOut? Get();

    /// <summary>Aggregates a value into the state.</summary>
    void Add(TIn value);

    /// <summary>Removes the current key's accumulator.</summary>
    void Clear();
}

/// <summary>Operator (non-keyed) list state, e.g. a source's offsets; redistributed over subtasks on rescale.</summary>
public interface IOperatorListState<T>
{
    /// <summary>The items.</summary>
    IReadOnlyList<T> Get();

    /// <summary>Replaces the items.</summary>
    void Update(IEnumerable<T> items);

    /// <summary>Adds an item.</summary>
    void Add(T item);

    /// <summary>Removes all items.</summary>
    void Clear();
}
