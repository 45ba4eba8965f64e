using Weir.Serialization;

namespace Weir.Streaming.State;

/// <summary>
/// One named keyed state of an operator subtask: a map from key to state value per key group.
///
/// Copy-on-write at key-group granularity. A snapshot captures the current map of each key
/// group by reference and counts itself on it (<see cref="VersionedMap.SnapshotRefs"/>); while a
/// snapshot still reads a map, the first write to that key group copies it (values deep-copied
/// with <see cref="_copyValue"/> for mutable containers such as lists). Once the snapshot's files
/// are written it releases its references, and writes go in place again. So the synchronous
/// part of a checkpoint is O(key groups), and only groups written during an upload are copied.
/// Reads never copy; the task thread and the uploading thread only ever read a shared map.
/// </summary>
internal sealed class StateTable<TKey, TValue> : IStateTable
    where TKey : notnull
{
    private readonly VersionedMap[] _groups;
    private readonly Func<TValue, TValue>? _copyValue;
    private readonly ISerializer<TKey> _keySerializer;
    private readonly ISerializer<TValue> _valueSerializer;

    public StateTable(string name, int keyGroupCount, Func<TValue, TValue>? copyValue)
    {
        Name = name;
        _copyValue = copyValue;
        _groups = new VersionedMap[keyGroupCount];
        for (var i = 0; i < keyGroupCount; i++)
        {
            _groups[i] = new VersionedMap(new Dictionary<TKey, TValue>());
        }

        _keySerializer = Serializers.Get<TKey>();
        _valueSerializer = Serializers.Get<TValue>();
    }

    public string Name { get; }

    /// <summary>Entries over all key groups.</summary>
    public long Count => _groups.Sum(g => (long)g.Map.Count);

    public bool TryGet(int keyGroupIndex, TKey key, out TValue value) => _groups[keyGroupIndex].Map.TryGetValue(key, out value!);

    public void Put(int keyGroupIndex, TKey key, TValue value) => Writable(keyGroupIndex)[key] = value;

    public bool Remove(int keyGroupIndex, TKey key) => _groups[keyGroupIndex].Map.ContainsKey(key) && Writable(keyGroupIndex).Remove(key);

    /// <summary>The key group's map, copied first if a snapshot still reads it.</summary>
    public Dictionary<TKey, TValue> Writable(int keyGroupIndex)
    {
        var current = _groups[keyGroupIndex];
        if (Volatile.Read(ref current.SnapshotRefs) == 0)
        {
            return current.Map;
        }

        var copy = new Dictionary<TKey, TValue>(current.Map.Count);
        foreach (var (key, value) in current.Map)
        {
            copy.Add(key, _copyValue is null ? value : _copyValue(value));
        }

        _groups[keyGroupIndex] = new VersionedMap(copy);
        return copy;
    }

    public IEnumerable<KeyValuePair<TKey, TValue>> EntriesOf(int keyGroupIndex) => _groups[keyGroupIndex].Map;

    /// <inheritdoc />
    public object? Capture(int keyGroupIndex)
    {
        var current = _groups[keyGroupIndex];
        if (current.Map.Count == 0)
        {
            return null;
        }

        Interlocked.Increment(ref current.SnapshotRefs);
        return current;
    }

    /// <inheritdoc />
    public void Release(object capture) => Interlocked.Decrement(ref ((VersionedMap)capture).SnapshotRefs);

    /// <inheritdoc />
    public void WriteCaptured(object capture, DataWriter writer)
    {
        var map = ((VersionedMap)capture).Map;
        writer.WriteVarInt32(map.Count);
        foreach (var (key, value) in map)
        {
            _keySerializer.Write(writer, key);
            _valueSerializer.Write(writer, value);
        }
    }

    /// <inheritdoc />
    public void RestoreFull(int keyGroupIndex, ReadOnlySpan<byte> payload)
    {
        var reader = new DataReader(payload);
        var count = reader.ReadVarInt32();
        var map = Writable(keyGroupIndex);
        for (var i = 0; i < count; i++)
        {
            var key = _keySerializer.Read(ref reader);
            map[key] = _valueSerializer.Read(ref reader);
        }
    }

    private sealed class VersionedMap(Dictionary<TKey, TValue> map)
    {
        public readonly Dictionary<TKey, TValue> Map = map;
        public int SnapshotRefs;
    }
}

/// <summary>The type-erased face of a <see cref="StateTable{TKey, TValue}"/> that snapshots and restores use.</summary>
internal interface IStateTable
{
    string Name { get; }

    /// <summary>Pins a key group's current map for a snapshot; null if it is empty.</summary>
    object? Capture(int keyGroupIndex);

    /// <summary>Unpins what <see cref="Capture"/> pinned.</summary>
    void Release(object capture);

    /// <summary>Writes a pinned map: count, then key and value pairs.</summary>
    void WriteCaptured(object capture, DataWriter writer);

    /// <summary>Loads entries written by <see cref="WriteCaptured"/> into a key group.</summary>
    void RestoreFull(int keyGroupIndex, ReadOnlySpan<byte> payload);
}
