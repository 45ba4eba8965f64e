using Weir.Streaming.State;

namespace Weir.Streaming.Timers;

/// <summary>
/// Where one time domain of an <see cref="InternalTimerService{TKey}"/> keeps each key's timers: in
/// keyed state, so checkpoints carry them. By default a state table of its own
/// (<see cref="TableTimerStore{TKey}"/>); an operator whose keys each hold a value anyway may keep
/// the timers inside that value instead, so a key is one entry, captured and written once per
/// snapshot instead of twice (the paned window operator does).
/// </summary>
internal interface ITimerStore<TKey>
    where TKey : notnull
{
    /// <summary>The key's timers; false if it has none.</summary>
    bool TryGet(int keyGroupIndex, TKey key, out TimerTimestamps timers);

    /// <summary>Replaces the key's timers.</summary>
    void Put(int keyGroupIndex, TKey key, TimerTimestamps timers);

    /// <summary>The key has no timers any more.</summary>
    void Remove(int keyGroupIndex, TKey key);

    /// <summary>The keys of a key group that have timers, and their timers (restored or registered).</summary>
    IEnumerable<(TKey Key, TimerTimestamps Timers)> EntriesOf(int keyGroupIndex);
}

/// <summary>Timers in a state table of their own, one entry per key that has any.</summary>
internal sealed class TableTimerStore<TKey>(StateTable<TKey, TimerTimestamps> table) : ITimerStore<TKey>
    where TKey : notnull
{
    public bool TryGet(int keyGroupIndex, TKey key, out TimerTimestamps timers) => table.TryGet(keyGroupIndex, key, out timers);

    // Timer lists are values: replaced, never changed in place (snapshots may read the old one).
    public void Put(int keyGroupIndex, TKey key, TimerTimestamps timers) => table.Put(keyGroupIndex, key, timers);

    public void Remove(int keyGroupIndex, TKey key) => table.Remove(keyGroupIndex, key);

    public IEnumerable<(TKey Key, TimerTimestamps Timers)> EntriesOf(int keyGroupIndex) =>
        table.EntriesOf(keyGroupIndex).Select(static e => (e.Key, e.Value));
}
