using System.Runtime.InteropServices;

namespace Weir.Streaming.State.Changelog;

/// <summary>How a key's state changed since the last cut (checkpoint).</summary>
internal enum KeyChangeKind : byte
{
    /// <summary>The whole value was set: the delta carries the current value.</summary>
    Replaced = 1,

    /// <summary>The value was removed.</summary>
    Deleted = 2,

    /// <summary>Elements were appended to a list that held <see cref="KeyChange.AppendedFrom"/> elements at the cut.</summary>
    Appended = 3,

    /// <summary>Entries of a map were put or removed: <see cref="KeyChange.Entries"/> holds their map keys.</summary>
    EntriesChanged = 4,
}

/// <summary>One key's change since the last cut.</summary>
internal struct KeyChange
{
    public KeyChangeKind Kind;

    /// <summary>For <see cref="KeyChangeKind.Appended"/>: the list's length at the cut.</summary>
    public int AppendedFrom;

    /// <summary>For <see cref="KeyChangeKind.EntriesChanged"/>: the changed map keys (a <see cref="MapKeySet{TMapKey}"/>).</summary>
    public MapKeySet? Entries;
}

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
/// The keys of one key group of one state that were removed, appended to or had map entries
/// changed since the last cut, and how (puts mark the state table's entries instead): with the
/// puts, what an incremental checkpoint writes instead of the whole key group. Recording is one
/// hash lookup and allocates nothing once the set has grown to its working size (clearing keeps the
/// capacity, and the sets of changed map keys are reused from cut to cut).
///
/// Changes fold: a later change decides what the delta must carry. A delete wins over anything
/// before it; appends or entry changes after a delete make the key replaced (the delta then carries
/// the whole new value, which is exactly what was added since the delete). A put after any of them
/// is written whole instead.
/// </summary>
internal sealed class KeyChangeSet<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, KeyChange> _changes = [];
    private readonly Stack<MapKeySet> _entrySets = [];

    public int Count => _changes.Count;

    public void Deleted(TKey key)
    {
        ref var change = ref CollectionsMarshal.GetValueRefOrAddDefault(_changes, key, out _);
        change.Kind = KeyChangeKind.Deleted;
        Recycle(ref change);
    }

    /// <summary>Elements are about to be appended to <paramref name="key"/>'s list, which holds <paramref name="countBefore"/> now.</summary>
    public void Appended(TKey key, int countBefore)
    {
        ref var change = ref CollectionsMarshal.GetValueRefOrAddDefault(_changes, key, out var exists);
        if (!exists)
        {
            change.Kind = KeyChangeKind.Appended;
            change.AppendedFrom = countBefore;
        }
        else if (change.Kind is not (KeyChangeKind.Appended or KeyChangeKind.Replaced))
        {
            change.Kind = KeyChangeKind.Replaced;
            Recycle(ref change);
        }
    }

    /// <summary>Entry <paramref name="mapKey"/> of <paramref name="key"/>'s map was put or removed (the map still holds entries).</summary>
    public void EntryChanged<TMapKey>(TKey key, TMapKey mapKey)
        where TMapKey : notnull
    {
        ref var change = ref CollectionsMarshal.GetValueRefOrAddDefault(_changes, key, out var exists);
        if (!exists)
        {
            var entries = _entrySets.TryPop(out var reused) ? (MapKeySet<TMapKey>)reused : new MapKeySet<TMapKey>();
            entries.Keys.Add(mapKey);
            change.Kind = KeyChangeKind.EntriesChanged;
            change.Entries = entries;
        }
        else if (change.Kind == KeyChangeKind.EntriesChanged)
        {
            ((MapKeySet<TMapKey>)change.Entries!).Keys.Add(mapKey);
        }
        else if (change.Kind != KeyChangeKind.Replaced)
        {
            change.Kind = KeyChangeKind.Replaced;
            Recycle(ref change);
        }
    }

    public Dictionary<TKey, KeyChange>.Enumerator GetEnumerator() => _changes.GetEnumerator();

    /// <summary>Forgets every change (after a cut took them), keeping the sets of map keys for the next interval.</summary>
    public void Clear()
    {
        foreach (var (_, change) in _changes)
        {
            Return(change.Entries);
        }

        _changes.Clear();
    }

    private void Recycle(ref KeyChange change)
    {
        Return(change.Entries);
        change.Entries = null;
    }

    private void Return(MapKeySet? entries)
    {
        if (entries is not null)
        {
            entries.Clear();
            _entrySets.Push(entries);
        }
    }
}
