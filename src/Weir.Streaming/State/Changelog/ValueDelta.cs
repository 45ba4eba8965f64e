using Weir.Serialization;

namespace Weir.Streaming.State.Changelog;

/// <summary>
/// What a state's values are for copy-on-write and for deltas: how a value is copied, and, for
/// containers, how the part changed since a cut is taken out of a value (appended list elements,
/// changed map entries) and merged back in on restore. Plain values are replaced whole.
/// </summary>
internal abstract class ValueDelta<TValue>
{
    /// <summary>False if <see cref="Copy"/> returns its argument (values are immutable), so copying a key group copies no value.</summary>
    public abstract bool CopiesValues { get; }

    /// <summary>Whole values, copied with <paramref name="copy"/> (null: immutable values, shared by reference).</summary>
    public static ValueDelta<TValue> Whole(Func<TValue, TValue>? copy) => new WholeValueDelta<TValue>(copy);

    /// <summary>A copy that later writes to the original do not change.</summary>
    public abstract TValue Copy(TValue value);

    /// <summary>The elements appended since the value held <paramref name="from"/>; false if the value cannot tell (then it is replaced whole).</summary>
    public virtual bool TryTakeAppended(TValue current, int from, out TValue appended)
    {
        appended = default!;
        return false;
    }

    /// <summary>The entries among <paramref name="changedKeys"/> that the value holds, and those it no longer holds; false if the value has no entries.</summary>
    public virtual bool TryTakeEntries(TValue current, object changedKeys, out TValue put, out object? removed)
    {
        put = default!;
        removed = null;
        return false;
    }

    /// <summary>Restore: appends <paramref name="appended"/> to the existing value (or makes it the value).</summary>
    public virtual TValue Append(TValue existing, bool exists, TValue appended) =>
        throw new SerializationException($"A delta appends to a state of type {typeof(TValue).Name}, which is not a list.");

    /// <summary>Restore: merges put and removed entries into the existing value; null if no entry is left.</summary>
    public virtual TValue? MergeEntries(TValue existing, bool exists, TValue put, object? removed) =>
        throw new SerializationException($"A delta merges entries into a state of type {typeof(TValue).Name}, which is not a map.");

    public virtual void WriteRemoved(DataWriter writer, object? removed) =>
        throw new InvalidOperationException($"State values of type {typeof(TValue).Name} have no entries.");

    public virtual object? ReadRemoved(ref DataReader reader) =>
        throw new SerializationException($"A delta removes entries from a state of type {typeof(TValue).Name}, which is not a map.");
}

internal sealed class WholeValueDelta<TValue>(Func<TValue, TValue>? copy) : ValueDelta<TValue>
{
    public override bool CopiesValues => copy is not null;

    public override TValue Copy(TValue value) => copy is null ? value : copy(value);
}

/// <summary>List state: appends are recorded as the appended elements.</summary>
internal sealed class ListValueDelta<T> : ValueDelta<List<T>>
{
    public override bool CopiesValues => true;

    public override List<T> Copy(List<T> value) => CopyList(value);

    /// <summary>A copy of a list; elements of a type that can change are copied too (<see cref="StateValues{T}"/>): a task may change one it read.</summary>
    public static List<T> CopyList(List<T> value)
    {
        if (StateValues<T>.Copier is not { } copyElement)
        {
            return [.. value];
        }

        var copy = new List<T>(value.Count);
        foreach (var element in value)
        {
            copy.Add(copyElement(element));
        }

        return copy;
    }

    public override bool TryTakeAppended(List<T> current, int from, out List<T> appended)
    {
        if (from > current.Count)
        {
            appended = null!;
            return false;
        }

        appended = current.GetRange(from, current.Count - from);
        return true;
    }

    public override List<T> Append(List<T> existing, bool exists, List<T> appended)
    {
        if (!exists)
        {
            return appended;
        }

        existing.AddRange(appended);
        return existing;
    }
}

/// <summary>Map state: changes are recorded per entry.</summary>
internal sealed class MapValueDelta<TMapKey, TMapValue> : ValueDelta<Dictionary<TMapKey, TMapValue>>
    where TMapKey : notnull
{
    private readonly ISerializer<TMapKey> _keySerializer = Serializers.Get<TMapKey>();

    public override bool CopiesValues => true;

    // Map values of a type that can change are copied too (StateValues): a task may change one it read. Map keys are never changed in place.
    public override Dictionary<TMapKey, TMapValue> Copy(Dictionary<TMapKey, TMapValue> value)
    {
        if (StateValues<TMapValue>.Copier is not { } copyValue)
        {
            return new(value);
        }

        var copy = new Dictionary<TMapKey, TMapValue>(value.Count, value.Comparer);
        foreach (var (key, entry) in value)
        {
            copy.Add(key, copyValue(entry));
        }

        return copy;
    }

    public override bool TryTakeEntries(Dictionary<TMapKey, TMapValue> current, object changedKeys, out Dictionary<TMapKey, TMapValue> put, out object? removed)
    {
        var keys = ((MapKeySet<TMapKey>)changedKeys).Keys;
        put = new Dictionary<TMapKey, TMapValue>(keys.Count);
        List<TMapKey>? gone = null;
        foreach (var key in keys)
        {
            if (current.TryGetValue(key, out var value))
            {
                put[key] = value;
            }
            else
            {
                (gone ??= []).Add(key);
            }
        }

        removed = gone;
        return true;
    }

    public override Dictionary<TMapKey, TMapValue>? MergeEntries(Dictionary<TMapKey, TMapValue> existing, bool exists, Dictionary<TMapKey, TMapValue> put, object? removed)
    {
        var map = exists ? existing : new Dictionary<TMapKey, TMapValue>(put.Count);
        foreach (var (key, value) in put)
        {
            map[key] = value;
        }

        if (removed is List<TMapKey> gone)
        {
            foreach (var key in gone)
            {
                map.Remove(key);
            }
        }

        return map.Count == 0 ? null : map;
    }

    public override void WriteRemoved(DataWriter writer, object? removed)
    {
        var gone = (List<TMapKey>?)removed;
        writer.WriteVarInt32(gone?.Count ?? 0);
        if (gone is not null)
        {
            foreach (var key in gone)
            {
                _keySerializer.Write(writer, key);
            }
        }
    }

    public override object? ReadRemoved(ref DataReader reader)
    {
        var count = reader.ReadVarInt32();
        if (count < 0 || count > reader.Remaining)
        {
            throw new SerializationException($"A delta removes {count} map entries but {reader.Remaining} bytes remain.");
        }

        if (count == 0)
        {
            return null;
        }

        var gone = new List<TMapKey>(count);
        for (var i = 0; i < count; i++)
        {
            gone.Add(_keySerializer.Read(ref reader));
        }

        return gone;
    }
}
