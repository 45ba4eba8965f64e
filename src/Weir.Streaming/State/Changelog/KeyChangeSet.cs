namespace Weir.Streaming.State.Changelog;

/// <summary>The map keys changed in one key's map: reused from cut to cut.</summary>
internal abstract class MapKeySet
{
    public abstract void Clear();
}

/// <inheritdoc />
internal sealed class MapKeySet<TMapKey> : MapKeySet
    where TMapKey : notnull
{
    public HashSet<TMapKey> Keys { get; } = [];

    public override void Clear() => Keys.Clear();
}

/// <summary>
/// The keys of one key group of one state whose values were changed in place since the last cut,
/// and how: lists appended to (the length each had at the cut), maps with entries put or removed
/// (which map keys). With the puts and removals the state table records, what an incremental
/// checkpoint writes instead of the whole key group.
///
/// Only keys whose entries the last cut already held are recorded here, once per interval (the
/// state table marks the entry): a key created since is written whole. So the common change, a
/// list's first append of an interval, is an append to a plain list, not a hash insert. Recording
/// allocates nothing once the set has grown to its working size (clearing keeps the capacity, and
/// the sets of changed map keys are reused from cut to cut). A record goes stale when its key is
/// removed; the state table skips it then (the entry is gone, or is a new one, written whole).
/// </summary>
internal sealed class KeyChangeSet<TKey>
    where TKey : notnull
{
    private readonly List<(TKey Key, int From)> _appends = [];
    private readonly Dictionary<TKey, MapKeySet> _entries = [];
    private readonly Stack<MapKeySet> _entrySets = [];

    /// <summary>Keys recorded.</summary>
    public int Count => _appends.Count + _entries.Count;

    /// <summary>Lists appended to: the key and the list's length at the cut.</summary>
    public IReadOnlyList<(TKey Key, int From)> Appends => _appends;

    /// <summary>Maps with entries changed: the key and the changed map keys (a <see cref="MapKeySet{TMapKey}"/>).</summary>
    public Dictionary<TKey, MapKeySet> Entries => _entries;

    /// <summary>Elements are about to be appended to <paramref name="key"/>'s list for the first time since the cut, when it held <paramref name="countBefore"/>.</summary>
    public void Appended(TKey key, int countBefore) => _appends.Add((key, countBefore));

    /// <summary>Entry <paramref name="mapKey"/> of <paramref name="key"/>'s map was put or removed (the map still holds entries).</summary>
    public void EntryChanged<TMapKey>(TKey key, TMapKey mapKey)
        where TMapKey : notnull
    {
        if (!_entries.TryGetValue(key, out var entries))
        {
            entries = _entrySets.TryPop(out var reused) ? reused : new MapKeySet<TMapKey>();
            _entries.Add(key, entries);
        }

        ((MapKeySet<TMapKey>)entries).Keys.Add(mapKey);
    }

    /// <summary>Forgets every change (after a cut took them), keeping the sets of map keys for the next interval.</summary>
    public void Clear()
    {
        foreach (var (_, entries) in _entries)
        {
            entries.Clear();
            _entrySets.Push(entries);
        }

        _entries.Clear();
        _appends.Clear();
    }
}
