using Weir.Streaming.State;
using Weir.Streaming.Tasks;

namespace Weir.Streaming.Timers;

/// <summary>
/// The timers of one keyed operator subtask. The timers themselves live in keyed state (a sorted
/// list of timestamps per key and domain, <see cref="TimerTimestamps"/>, in a table of their own or,
/// for event time, inside the operator's own values: <see cref="ITimerStore{TKey}"/>), so checkpoints,
/// restores and rescaling carry them like any state; a priority queue per domain orders them for
/// firing and is rebuilt from the state when the operator opens. Deleting removes from state only; the queue
/// skips entries no longer in state.
/// Timers due at one timestamp leave the queue together and fire in key-group order, so the state of
/// one key group at a time is in the cache (bench/README.md, "Timers at the end of input").
/// Firing sets the current key, calls the operator back, and runs on the task thread; the fired timer
/// leaves state after the callback, so a callback that registers the key's next timer changes the
/// key's timer list once (one put) instead of removing it and putting it back. Re-registering the
/// firing timer in its callback fires it again, as if it had left state first (Flink's order).
/// </summary>
internal sealed class InternalTimerService<TKey> : ITimerService
    where TKey : notnull
{
    /// <summary>The table of event-time timers, unless the operator keeps them elsewhere.</summary>
    public const string EventTimersName = "_timers-event";

    /// <summary>Timers fired between two looks for barriers (<see cref="ITaskServices.YieldToBarriers"/>).</summary>
    private const int TimersBetweenYields = 256;

    private readonly HeapKeyedStateBackend<TKey> _backend;
    private readonly ITaskServices _services;
    private readonly Action<long, TimeDomain> _onTimer;
    private readonly Domain _event;
    private readonly Domain _processing;
    private IDisposable? _wakeup;
    private long _wakeupAt = long.MaxValue;

    /// <param name="backend">The operator's keyed state.</param>
    /// <param name="services">The task's clock, scheduling and barrier yields.</param>
    /// <param name="onTimer">Called for each timer fired, with its key current.</param>
    /// <param name="eventTimers">Where event-time timers are kept; null: a table of their own, <c>_timers-event</c>.</param>
    public InternalTimerService(HeapKeyedStateBackend<TKey> backend, ITaskServices services, Action<long, TimeDomain> onTimer, ITimerStore<TKey>? eventTimers = null)
    {
        _backend = backend;
        _services = services;
        _onTimer = onTimer;
        _event = new Domain(backend, eventTimers ?? TableStore(backend, EventTimersName));
        _processing = new Domain(backend, TableStore(backend, "_timers-processing"));
        ScheduleWakeup();
    }

    public long CurrentWatermark { get; private set; } = long.MinValue;

    public long CurrentProcessingTime => _services.Clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Timers registered and not yet fired or deleted, both domains.</summary>
    public int Count => _event.Count + _processing.Count;

    public void RegisterEventTimeTimer(long timestamp) => _event.Register(timestamp);

    public void DeleteEventTimeTimer(long timestamp) => _event.Delete(timestamp);

    public void RegisterProcessingTimeTimer(long timestamp)
    {
        _processing.Register(timestamp);
        if (timestamp < _wakeupAt)
        {
            ScheduleWakeup();
        }
    }

    public void DeleteProcessingTimeTimer(long timestamp) => _processing.Delete(timestamp);

    /// <summary>Fires every event-time timer at or before <paramref name="watermark"/>, in timestamp order.</summary>
    public void AdvanceWatermark(long watermark)
    {
        CurrentWatermark = watermark;
        FireUpTo(_event, watermark, TimeDomain.EventTime);
    }

    private void OnWakeup()
    {
        _wakeup = null;
        _wakeupAt = long.MaxValue;
        FireUpTo(_processing, CurrentProcessingTime, TimeDomain.ProcessingTime);
        ScheduleWakeup();
    }

    /// <summary>Fires <paramref name="domain"/>'s timers due by <paramref name="time"/>, letting the task take waiting barriers every <see cref="TimersBetweenYields"/>.</summary>
    private void FireUpTo(Domain domain, long time, TimeDomain kind)
    {
        var fired = 0;
        while (domain.TryFireNext(time, out var timestamp))
        {
            _onTimer(timestamp, kind);
            domain.Fired();
            if (++fired % TimersBetweenYields == 0)
            {
                _services.YieldToBarriers();
            }
        }
    }

    /// <summary>The timers kept in the state table <paramref name="name"/> (registered on first use).</summary>
    public static TableTimerStore<TKey> TableStore(HeapKeyedStateBackend<TKey> backend, string name)
    {
        TimerTimestampsSerializer.Register();
        return new TableTimerStore<TKey>(backend.Table<TimerTimestamps>(name, copyValue: null));
    }

    private void ScheduleWakeup()
    {
        if (!_processing.TryPeek(out var next))
        {
            return;
        }

        _wakeup?.Dispose();
        _wakeupAt = next;
        _wakeup = _services.Schedule(TimeSpan.FromMilliseconds(Math.Max(0, next - CurrentProcessingTime)), OnWakeup);
    }

    /// <summary>One domain's timers: the state table and the firing queue.</summary>
    private sealed class Domain
    {
        private const int MaxBatch = 4096;

        private readonly HeapKeyedStateBackend<TKey> _backend;
        private readonly ITimerStore<TKey> _store;
        private readonly PriorityQueue<(TKey Key, int KeyGroupIndex), long> _queue = new();
        private readonly List<(TKey Key, int KeyGroupIndex)> _batch = [];
        private int _batchNext;
        private long _batchTimestamp;
        private int[]? _groupStarts;
        private (TKey Key, int KeyGroupIndex)[] _sorted = [];
        private (TKey Key, int KeyGroupIndex, long Timestamp)? _firing;
        private bool _firingRegisteredAgain;

        public Domain(HeapKeyedStateBackend<TKey> backend, ITimerStore<TKey> store)
        {
            _backend = backend;
            _store = store;
            for (var index = 0; index < backend.Range.Count; index++)
            {
                foreach (var (key, timestamps) in _store.EntriesOf(index))
                {
                    for (var i = 0; i < timestamps.Count; i++)
                    {
                        _queue.Enqueue((key, index), timestamps[i]);
                    }
                }
            }
        }

        public int Count
        {
            get
            {
                var count = 0;
                for (var index = 0; index < _backend.Range.Count; index++)
                {
                    count += _store.EntriesOf(index).Sum(e => e.Timers.Count);
                }

                return count;
            }
        }

        public void Register(long timestamp)
        {
            var index = _backend.CurrentKeyGroupIndex;
            var key = _backend.CurrentKey;
            var exists = _store.TryGet(index, key, out var timestamps);
            var position = exists ? timestamps.IndexOf(timestamp) : ~0;
            if (IsFiring(index, key, timestamp))
            {
                // Registered again in its own callback: it stays, and fires again.
                _firingRegisteredAgain = true;
                if (position >= 0)
                {
                    _queue.Enqueue((key, index), timestamp);
                    return;
                }
            }
            else if (position >= 0)
            {
                return;
            }

            _store.Put(index, key, exists ? timestamps.Insert(~position, timestamp) : TimerTimestamps.Of(timestamp));
            _queue.Enqueue((key, index), timestamp);
        }

        public void Delete(long timestamp) => Remove(_backend.CurrentKeyGroupIndex, _backend.CurrentKey, timestamp);

        public bool TryPeek(out long timestamp)
        {
            ReturnBatch();
            while (_queue.TryPeek(out var entry, out timestamp))
            {
                if (Contains(entry.KeyGroupIndex, entry.Key, timestamp))
                {
                    return true;
                }

                _queue.Dequeue();
            }

            return false;
        }

        /// <summary>Takes the earliest live timer at or before <paramref name="upTo"/> and sets its key current; <see cref="Fired"/> removes it from state after the callback.</summary>
        public bool TryFireNext(long upTo, out long timestamp)
        {
            _firing = null;
            while (true)
            {
                (TKey Key, int KeyGroupIndex) entry;
                var batched = _batchNext < _batch.Count;
                if (_queue.TryPeek(out var head, out timestamp) && timestamp <= upTo && (!batched || timestamp < _batchTimestamp))
                {
                    if (!batched)
                    {
                        TakeBatch(timestamp);
                        continue;
                    }

                    // Registered by a callback before the batch's timestamp: it fires first, in timestamp order.
                    _queue.Dequeue();
                    entry = head;
                }
                else if (batched && _batchTimestamp <= upTo)
                {
                    timestamp = _batchTimestamp;
                    entry = _batch[_batchNext++];
                }
                else
                {
                    ReturnBatch();
                    return false;
                }

                if (!Contains(entry.KeyGroupIndex, entry.Key, timestamp))
                {
                    continue;
                }

                _firing = (entry.Key, entry.KeyGroupIndex, timestamp);
                _firingRegisteredAgain = false;
                _backend.SetCurrentKey(entry.Key, _backend.Range.Start + entry.KeyGroupIndex);
                return true;
            }
        }

        /// <summary>
        /// Takes the queue's earliest timers, which share <paramref name="timestamp"/> (up to
        /// <see cref="MaxBatch"/>), ordered by key group if there are many: at one timestamp any order is Flink's, and
        /// keys of one key group fire while its map is in the cache (a watermark that closes a window
        /// for every key fires them all at one timestamp, in the heap's order, which follows no key group).
        /// </summary>
        private void TakeBatch(long timestamp)
        {
            _batch.Clear();
            _batchNext = 0;
            _batchTimestamp = timestamp;
            while (_batch.Count < MaxBatch && _queue.TryPeek(out var entry, out var next) && next == timestamp)
            {
                _queue.Dequeue();
                _batch.Add(entry);
            }

            // Fewer timers than key groups: ordering them would cost more (a pass over every group) than it saves.
            if (_batch.Count < _backend.Range.Count)
            {
                return;
            }

            // Counting sort: stable, so each key group's timers keep the queue's order (mostly registration order).
            var groups = _groupStarts ??= new int[_backend.Range.Count + 1];
            Array.Clear(groups);
            foreach (var entry in _batch)
            {
                groups[entry.KeyGroupIndex + 1]++;
            }

            for (var group = 1; group < groups.Length; group++)
            {
                groups[group] += groups[group - 1];
            }

            if (_sorted.Length < _batch.Count)
            {
                _sorted = new (TKey, int)[Math.Max(_batch.Count, 2 * _sorted.Length)];
            }

            foreach (var entry in _batch)
            {
                _sorted[groups[entry.KeyGroupIndex]++] = entry;
            }

            _batch.Clear();
            _batch.AddRange(_sorted.AsSpan(0, groups[^1]));
            Array.Clear(_sorted, 0, _batch.Count);
        }

        /// <summary>Puts the timers taken and not yet fired back into the queue.</summary>
        private void ReturnBatch()
        {
            for (var i = _batchNext; i < _batch.Count; i++)
            {
                _queue.Enqueue(_batch[i], _batchTimestamp);
            }

            _batch.Clear();
            _batchNext = 0;
        }

        /// <summary>The callback of the timer <see cref="TryFireNext"/> took has returned: the timer leaves state, unless the callback registered it again.</summary>
        public void Fired()
        {
            if (_firing is { } firing && !_firingRegisteredAgain)
            {
                Remove(firing.KeyGroupIndex, firing.Key, firing.Timestamp);
            }

            _firing = null;
        }

        private bool IsFiring(int index, TKey key, long timestamp) =>
            _firing is { } firing && firing.Timestamp == timestamp && firing.KeyGroupIndex == index && EqualityComparer<TKey>.Default.Equals(firing.Key, key);

        private bool Contains(int index, TKey key, long timestamp) =>
            _store.TryGet(index, key, out var timestamps) && timestamps.IndexOf(timestamp) >= 0;

        private bool Remove(int index, TKey key, long timestamp)
        {
            if (!_store.TryGet(index, key, out var timestamps))
            {
                return false;
            }

            var position = timestamps.IndexOf(timestamp);
            if (position < 0)
            {
                return false;
            }

            if (timestamps.Count == 1)
            {
                _store.Remove(index, key);
            }
            else
            {
                _store.Put(index, key, timestamps.RemoveAt(position));
            }

            return true;
        }
    }
}
