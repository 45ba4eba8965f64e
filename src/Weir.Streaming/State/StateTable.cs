using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Weir.Serialization;
using Weir.Streaming.State.Changelog;

namespace Weir.Streaming.State;

/// <summary>
/// One named keyed state of an operator subtask: a map from key to state value per key group.
///
/// Snapshots copy references, values copy on write. A snapshot captures a key group by copying
/// its entries (key and value reference, no value) into reused chunks, in memory order, and moves
/// the key group's sharing mark on, so every value in it counts as one a snapshot may read. A value
/// changed in place (<see cref="TryGetForUpdate"/>, <see cref="GetOrAddForUpdate"/>,
/// <see cref="GetOrAddForAppend"/>) is deep-copied first (<see cref="ValueDelta{TValue}.Copy"/>, for
/// mutable containers such as lists) if it is so shared and the capture is not yet released, once;
/// a put or a removal replaces the map's reference and leaves the captured value alone (after Flink's
/// <c>CopyOnWriteStateMap</c>, which copies its bucket array at a snapshot and versions its entries the
/// same way). So the synchronous part of a checkpoint copies 2 words per entry; the upload reads only
/// its array, and costs a value copy per value changed in place while it runs. The map itself is
/// never shared, so a write never copies it.
///
/// Change tracking (incremental checkpoints, <see cref="TrackChanges"/>). Every change marks the
/// entry itself with the interval (cut to cut) it happened in and how (<see cref="Slot.Tracked"/>):
/// put, created in the interval, or changed in place; only the first change of a key in an interval
/// records anything more, and nothing on the way hashes beyond the change's own lookup, whether a key
/// is changed once or per record (a window's accumulator). A put, or an entry created in the interval
/// (by a put, an append or a map's first entry), appends the key to a list of puts: it is written
/// whole. An append to, or a map entry changed in, an entry the last cut held goes to a
/// <see cref="KeyChangeSet{TKey}"/>, which says what changed. A removal of an entry the last cut held
/// appends the key to a plain list of removals, once per interval (whatever creates the key again
/// marks the new entry as created in the interval, and its removal records nothing: the key was
/// not there at the cut, or a removal is already recorded). A cut serializes the changes
/// (<see cref="WriteChanges"/>, the current values written as they are, no copy kept alive until an
/// upload) and forgets them; the bytes are uploaded later. It writes the removals (a delete each:
/// anything the key holds now is written after), then the changes in place of entries still so
/// marked, then every entry marked as put or created whole: found by scanning the key group's
/// entries in memory order when a good part of them is marked (<see cref="ScanRatio"/>), by looking
/// the listed keys up otherwise.
/// Delta payload format:
/// <c>record count (varint, maybe padded) | per record: op (byte) | key | body</c>, applied in order,
/// with ops
/// 0 put (body: the value), 1 delete (no body), 2 append (body: the appended elements, as a list
/// value), 3 merge entries (body: the entries put, as a map value | removed count (varint) | removed map keys).
/// Restores (<see cref="RestoreFull"/>, <see cref="ApplyChanges"/>) record nothing.
/// </summary>
internal sealed class StateTable<TKey, TValue> : IStateTable
    where TKey : notnull
{
    private const byte PutOp = 0;
    private const byte DeleteOp = 1;
    private const byte AppendOp = 2;
    private const byte MergeEntriesOp = 3;

    // How an entry changed in the interval its mark names (the low bits of Slot.Tracked).
    private const int KindBits = 2;

    /// <summary>Put (or put after a change in place); the last cut held the entry.</summary>
    private const int PutKind = 1;

    /// <summary>Created in the interval (and maybe put or changed since): the last cut did not hold this entry.</summary>
    private const int CreatedKind = 2;

    /// <summary>Appended to or map entries changed, recorded in the change set; the last cut held the entry.</summary>
    private const int ChangedInPlaceKind = 3;

    private readonly Dictionary<TKey, Slot>[] _groups;
    private readonly int[] _sharing;
    private readonly int[] _liveCaptures;
    private readonly Stack<KeyValuePair<TKey, TValue>[]> _captureChunks = new();
    private readonly ValueDelta<TValue> _values;
    private readonly ISerializer<TKey> _keySerializer;
    private readonly ISerializer<TValue> _valueSerializer;
    /// <summary>A cut scans a key group when at least 1 in this many of its entries was put since the last cut.</summary>
    internal const int ScanRatio = 32;

    private KeyChangeSet<TKey>[]? _changes;
    private PutKeys[]? _puts;
    private List<TKey>[]? _removals;
    private int[]? _intervals;

    public StateTable(string name, int keyGroupCount, Func<TValue, TValue>? copyValue)
        : this(name, keyGroupCount, ValueDelta<TValue>.Whole(copyValue))
    {
    }

    /// <param name="name">The state's name.</param>
    /// <param name="keyGroupCount">The key groups of the subtask's range.</param>
    /// <param name="values">How values are copied and their changes taken.</param>
    /// <param name="valueSerializer">How this table's values are encoded; null: the serializer registered for <typeparamref name="TValue"/>.</param>
    public StateTable(string name, int keyGroupCount, ValueDelta<TValue> values, ISerializer<TValue>? valueSerializer = null)
    {
        Name = name;
        _values = values;
        _groups = new Dictionary<TKey, Slot>[keyGroupCount];
        _sharing = new int[keyGroupCount];
        _liveCaptures = new int[keyGroupCount];
        for (var i = 0; i < keyGroupCount; i++)
        {
            _groups[i] = [];
        }

        _keySerializer = Serializers.Get<TKey>();
        _valueSerializer = valueSerializer ?? Serializers.Get<TValue>();
    }

    public string Name { get; }

    /// <summary>
    /// Whether a key and value refer to objects: captured entries and pass buffers are then cleared when
    /// given back, so no value stays reachable through them; entries of plain data are not (the clear was
    /// a memset of a whole capture per checkpoint; bench/README.md, "q4's timers, and captures of plain data").
    /// </summary>
    private static bool EntriesHoldReferences => RuntimeHelpers.IsReferenceOrContainsReferences<KeyValuePair<TKey, TValue>>();

    /// <summary>Entries over all key groups (read off the task thread, as when a capture is released, only as a hint).</summary>
    public long Count => _groups.Sum(g => (long)g.Count);

    public bool TryGet(int keyGroupIndex, TKey key, out TValue value)
    {
        var found = _groups[keyGroupIndex].TryGetValue(key, out var slot);
        value = slot.Value;
        return found;
    }

    public void Put(int keyGroupIndex, TKey key, TValue value)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_groups[keyGroupIndex], key, out var exists);
        slot.Value = value;
        slot.CopiedIn = _sharing[keyGroupIndex];
        if (_intervals is not null)
        {
            var marked = _intervals[keyGroupIndex] << KindBits;
            if (!WrittenWhole(slot.Tracked, marked))
            {
                // First put in the interval (or after a change in place): listed, to be written whole.
                slot.Tracked = marked | (exists ? PutKind : CreatedKind);
                _puts![keyGroupIndex].Add(key, _groups[keyGroupIndex].Count);
            }
        }
    }

    public bool Remove(int keyGroupIndex, TKey key)
    {
        if (!_groups[keyGroupIndex].Remove(key, out var removed))
        {
            return false;
        }

        if (_intervals is not null)
        {
            var kind = removed.Tracked - (_intervals[keyGroupIndex] << KindBits);
            if (kind is PutKind or CreatedKind)
            {
                _puts![keyGroupIndex].Live--;
            }

            if (kind != CreatedKind)
            {
                // The last cut held the entry. Once per interval: an entry made for the key again is created in it.
                _removals![keyGroupIndex].Add(key);
            }
        }

        return true;
    }

    /// <summary>
    /// The value of <paramref name="key"/> for changing in place (the value copied first if a
    /// snapshot may still read it); false if there is none. Changes made in place are not tracked:
    /// append with <see cref="GetOrAddForAppend"/>, record entry changes with <see cref="MarkEntryChanged{TMapKey}"/>, or
    /// put the value again.
    /// </summary>
    public bool TryGetForUpdate(int keyGroupIndex, TKey key, out TValue value)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrNullRef(_groups[keyGroupIndex], key);
        if (Unsafe.IsNullRef(ref slot))
        {
            value = default!;
            return false;
        }

        value = Unshared(keyGroupIndex, ref slot);
        return true;
    }

    /// <summary>
    /// The value of <paramref name="key"/> for a user's code, which may change what it gets in place
    /// if <paramref name="mayChange"/> (a value, element or map value of a type that can change,
    /// <see cref="StateValues{T}"/>): then as <see cref="TryGetForUpdate"/> (copied first if a snapshot may
    /// still read it), else as <see cref="TryGet(int, TKey, out TValue)"/>.
    /// </summary>
    public bool TryGet(int keyGroupIndex, TKey key, bool mayChange, out TValue value) =>
        mayChange ? TryGetForUpdate(keyGroupIndex, key, out value) : TryGet(keyGroupIndex, key, out value);

    /// <summary>
    /// The value of <paramref name="key"/> for changing in place, made by <paramref name="create"/>
    /// if there is none (then written whole at the next cut); see <see cref="TryGetForUpdate"/>.
    /// </summary>
    public TValue GetOrAddForUpdate(int keyGroupIndex, TKey key, Func<TValue> create)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_groups[keyGroupIndex], key, out var exists);
        if (!exists)
        {
            slot.Value = create();
            slot.CopiedIn = _sharing[keyGroupIndex];
            MarkCreated(keyGroupIndex, key, ref slot);
            return slot.Value;
        }

        return Unshared(keyGroupIndex, ref slot);
    }

    /// <summary>A new entry: written whole at the next cut.</summary>
    private void MarkCreated(int keyGroupIndex, TKey key, ref Slot slot)
    {
        if (_intervals is not null)
        {
            slot.Tracked = (_intervals[keyGroupIndex] << KindBits) | CreatedKind;
            _puts![keyGroupIndex].Add(key, _groups[keyGroupIndex].Count);
        }
    }

    /// <summary>
    /// The slot's value, deep-copied first if a snapshot may still read it: the slot was last copied or
    /// put before the key group's map was last shared, and a capture of the key group is not yet released.
    /// </summary>
    private TValue Unshared(int keyGroupIndex, ref Slot slot)
    {
        var sharing = _sharing[keyGroupIndex];
        if (slot.CopiedIn != sharing && Volatile.Read(ref _liveCaptures[keyGroupIndex]) > 0)
        {
            if (_values.CopiesValues)
            {
                slot.Value = _values.Copy(slot.Value);
            }

            slot.CopiedIn = sharing;
        }

        return slot.Value;
    }

    /// <summary>
    /// The value of <paramref name="key"/> for appending to in place, made by <paramref name="create"/>
    /// if there is none, with the append recorded: the first append in an interval to a list the last
    /// cut held records the length it had (<paramref name="countOf"/>); later ones, or any to a list
    /// put or created in the interval (written whole), cost nothing more.
    /// </summary>
    public TValue GetOrAddForAppend(int keyGroupIndex, TKey key, Func<TValue> create, Func<TValue, int> countOf)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_groups[keyGroupIndex], key, out var exists);
        if (!exists)
        {
            slot.Value = create();
            slot.CopiedIn = _sharing[keyGroupIndex];
            MarkCreated(keyGroupIndex, key, ref slot);
            return slot.Value;
        }

        var value = Unshared(keyGroupIndex, ref slot);
        if (_intervals is not null)
        {
            var interval = _intervals[keyGroupIndex];
            if (slot.Tracked >> KindBits != interval)
            {
                slot.Tracked = (interval << KindBits) | ChangedInPlaceKind;
                _changes![keyGroupIndex].Appended(key, countOf(value));
            }
        }

        return value;
    }

    /// <summary>Entry <paramref name="mapKey"/> of <paramref name="key"/>'s map (which exists) was changed in place.</summary>
    public void MarkEntryChanged<TMapKey>(int keyGroupIndex, TKey key, TMapKey mapKey)
        where TMapKey : notnull
    {
        if (_intervals is null)
        {
            return;
        }

        ref var slot = ref CollectionsMarshal.GetValueRefOrNullRef(_groups[keyGroupIndex], key);
        var marked = _intervals[keyGroupIndex] << KindBits;
        if (Unsafe.IsNullRef(ref slot) || WrittenWhole(slot.Tracked, marked))
        {
            return; // written whole
        }

        slot.Tracked = marked | ChangedInPlaceKind;
        _changes![keyGroupIndex].EntryChanged(key, mapKey);
    }

    public IEnumerable<KeyValuePair<TKey, TValue>> EntriesOf(int keyGroupIndex) =>
        _groups[keyGroupIndex].Select(static e => KeyValuePair.Create(e.Key, e.Value.Value));

    /// <inheritdoc />
    public object? Capture(int keyGroupIndex)
    {
        var map = _groups[keyGroupIndex];
        if (map.Count == 0)
        {
            return null;
        }

        var captured = new CapturedEntries(_captureChunks, keyGroupIndex, map.Count);
        var (chunk, index) = (0, 0);
        var entries = captured.Chunks[0];
        foreach (var (key, slot) in map)
        {
            if (index == entries.Length)
            {
                entries = captured.Chunks[++chunk];
                index = 0;
            }

            entries[index++] = KeyValuePair.Create(key, slot.Value);
        }

        _sharing[keyGroupIndex]++;
        Interlocked.Increment(ref _liveCaptures[keyGroupIndex]);
        return captured;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Once no capture of the key group is left, values are changed in place again without a copy
    /// (until the next capture): a snapshot written in a fraction of the interval does not make every
    /// value changed in the rest of it a copy (Flink's <c>highestRequiredSnapshotVersion</c>). Any
    /// thread; the write that read the capture is over, so nothing reads its values any more.
    /// </remarks>
    public void Release(object capture)
    {
        var captured = (CapturedEntries)capture;
        if (captured.Return(_captureChunks, tableEntries: Count))
        {
            Interlocked.Decrement(ref _liveCaptures[captured.KeyGroupIndex]);
        }
    }

    /// <inheritdoc />
    public void WriteCaptured(object capture, DataWriter writer)
    {
        // Off the task thread, from the captured entries only; values asked for ahead.
        var captured = (CapturedEntries)capture;
        writer.WriteVarInt32(captured.Count);
        var left = captured.Count;
        foreach (var chunk in captured.Chunks)
        {
            var entries = chunk.AsSpan(0, Math.Min(left, chunk.Length));
            WriteEntries(writer, entries, op: null);
            left -= entries.Length;
        }
    }

    /// <inheritdoc />
    public void RestoreFull(int keyGroupIndex, ReadOnlySpan<byte> payload)
    {
        var reader = new DataReader(payload);
        var count = reader.ReadVarInt32();
        var map = _groups[keyGroupIndex];
        map.EnsureCapacity(map.Count + Math.Min(count, reader.Remaining));
        for (var i = 0; i < count; i++)
        {
            var key = _keySerializer.Read(ref reader);
            map[key] = new Slot { Value = _valueSerializer.Read(ref reader) };
        }
    }

    /// <inheritdoc />
    public void TrackChanges()
    {
        if (_changes is not null)
        {
            return;
        }

        _changes = new KeyChangeSet<TKey>[_groups.Length];
        _puts = new PutKeys[_groups.Length];
        _removals = new List<TKey>[_groups.Length];
        var intervals = new int[_groups.Length];
        for (var i = 0; i < _changes.Length; i++)
        {
            _changes[i] = new KeyChangeSet<TKey>();
            _puts[i] = new PutKeys();
            _removals[i] = [];
            intervals[i] = 1;
        }

        _intervals = intervals;
    }

    /// <inheritdoc />
    public int EntryCount(int keyGroupIndex) => _groups[keyGroupIndex].Count;

    /// <inheritdoc />
    public int ChangeCount(int keyGroupIndex) =>
        _changes is null ? 0 : _changes[keyGroupIndex].Count + _puts![keyGroupIndex].Live + _removals![keyGroupIndex].Count;

    /// <inheritdoc />
    public void DiscardChanges(int keyGroupIndex)
    {
        if (_changes is not null)
        {
            _changes[keyGroupIndex].Clear();
            _puts![keyGroupIndex].Clear();
            _removals![keyGroupIndex].Clear();
            _intervals![keyGroupIndex]++;
        }
    }

    /// <inheritdoc />
    public bool WriteChanges(int keyGroupIndex, DataWriter writer)
    {
        if (ChangeCount(keyGroupIndex) == 0)
        {
            return false;
        }

        var changes = _changes![keyGroupIndex];
        var puts = _puts![keyGroupIndex];
        var marked = _intervals![keyGroupIndex] << KindBits;
        var map = _groups[keyGroupIndex];
        var countAt = writer.ReserveVarInt32();
        var count = 0;

        // Removals first: whatever the key holds now (put, or created, since) is written after them.
        var removals = _removals![keyGroupIndex];
        foreach (var key in removals)
        {
            writer.WriteByte(DeleteOp);
            _keySerializer.Write(writer, key);
        }

        count += removals.Count;
        removals.Clear();

        // Changes in place, of entries still so marked (removed since: the entry is gone, or a new one, written whole).
        var changedInPlace = marked | ChangedInPlaceKind;
        foreach (var (key, from) in changes.Appends)
        {
            if (map.TryGetValue(key, out var slot) && slot.Tracked == changedInPlace)
            {
                WriteChangeInPlace(writer, key, slot.Value, from, entries: null);
                count++;
            }
        }

        foreach (var (key, entries) in changes.Entries)
        {
            if (map.TryGetValue(key, out var slot) && slot.Tracked == changedInPlace)
            {
                WriteChangeInPlace(writer, key, slot.Value, appendedFrom: 0, entries);
                count++;
            }
        }

        if (puts.Live > 0)
        {
            if (puts.Overflowed || (long)puts.Live * ScanRatio >= map.Count)
            {
                // Collected first, then written with the values asked for ahead (they are scattered over the heap).
                if (_scratch.Capacity < puts.Live)
                {
                    var capacity = Math.Max(puts.Live, 2 * _scratch.Capacity);
                    _scratch.Return();
                    _scratch = new EntryBuffer(capacity);
                }

                var collected = _scratch;
                foreach (var (key, slot) in map)
                {
                    if (WrittenWhole(slot.Tracked, marked))
                    {
                        collected.Add(key, slot.Value);
                    }
                }

                WriteEntries(writer, collected.Span, PutOp);
                count += collected.Span.Length;
                collected.Clear();
            }
            else
            {
                // A key removed and put again in the interval is listed again; every marked entry is listed at
                // least once, so there are repeats exactly when the list is longer than the marked entries.
                var written = puts.Keys.Count > puts.Live ? (_written ??= []) : null;
                foreach (var key in puts.Keys)
                {
                    if (map.TryGetValue(key, out var slot) && WrittenWhole(slot.Tracked, marked) && (written is null || written.Add(key)))
                    {
                        WritePut(writer, key, slot.Value);
                        count++;
                    }
                }

                written?.Clear();
            }
        }

        writer.PatchVarInt32(countAt, count);
        changes.Clear();
        puts.Clear();
        _intervals[keyGroupIndex]++;
        return true;
    }

    /// <inheritdoc />
    public void ApplyChanges(int keyGroupIndex, ReadOnlySpan<byte> payload)
    {
        var reader = new DataReader(payload);
        var count = reader.ReadVarInt32();
        var map = _groups[keyGroupIndex];
        for (var i = 0; i < count; i++)
        {
            var op = reader.ReadByte();
            var key = _keySerializer.Read(ref reader);
            switch (op)
            {
                case PutOp:
                    map[key] = new Slot { Value = _valueSerializer.Read(ref reader) };
                    break;
                case DeleteOp:
                    map.Remove(key);
                    break;
                case AppendOp:
                    {
                        var appended = _valueSerializer.Read(ref reader);
                        var exists = map.TryGetValue(key, out var existing);
                        map[key] = new Slot { Value = _values.Append(existing.Value, exists, appended) };
                        break;
                    }

                case MergeEntriesOp:
                    {
                        var put = _valueSerializer.Read(ref reader);
                        var removed = _values.ReadRemoved(ref reader);
                        var exists = map.TryGetValue(key, out var existing);
                        if (_values.MergeEntries(existing.Value, exists, put, removed) is { } merged)
                        {
                            map[key] = new Slot { Value = merged };
                        }
                        else
                        {
                            map.Remove(key);
                        }

                        break;
                    }

                default:
                    throw new SerializationException($"State '{Name}' has a delta record with unknown operation {op}.");
            }
        }

        if (!reader.End)
        {
            throw new SerializationException($"State '{Name}' has {reader.Remaining} bytes after its last delta record.");
        }
    }

    /// <summary>Whether a mark (<see cref="Slot.Tracked"/>) says the entry is put or created in the interval marked <paramref name="marked"/>: written whole at its cut.</summary>
    private static bool WrittenWhole(int tracked, int marked) => tracked - marked is PutKind or CreatedKind;

    /// <summary>
    /// One change in place as a delta record: the map entries changed (<paramref name="entries"/>) or the
    /// elements appended since the list held <paramref name="appendedFrom"/>; the whole value if the value
    /// cannot tell.
    /// </summary>
    private void WriteChangeInPlace(DataWriter writer, TKey key, TValue current, int appendedFrom, MapKeySet? entries)
    {
        if (entries is not null && _values.TryTakeEntries(current, entries, out var put, out var removed))
        {
            writer.WriteByte(MergeEntriesOp);
            _keySerializer.Write(writer, key);
            _valueSerializer.Write(writer, put);
            _values.WriteRemoved(writer, removed);
        }
        else if (entries is null && _values.TryTakeAppended(current, appendedFrom, out var appended))
        {
            writer.WriteByte(AppendOp);
            _keySerializer.Write(writer, key);
            _valueSerializer.Write(writer, appended);
        }
        else
        {
            WritePut(writer, key, current);
        }
    }

    private EntryBuffer _scratch = new(0);
    private HashSet<TKey>? _written;

    /// <summary>Writes collected entries (each after <paramref name="op"/>, if any), asking for values ahead (<see cref="Prefetch"/>).</summary>
    private void WriteEntries(DataWriter writer, ReadOnlySpan<KeyValuePair<TKey, TValue>> entries, byte? op)
    {
        for (var i = 0; i < entries.Length; i++)
        {
            Prefetch.Ahead(entries, i);
            if (op is { } code)
            {
                writer.WriteByte(code);
            }

            _keySerializer.Write(writer, entries[i].Key);
            _valueSerializer.Write(writer, entries[i].Value);
        }
    }

    private void WritePut(DataWriter writer, TKey key, TValue value)
    {
        writer.WriteByte(PutOp);
        _keySerializer.Write(writer, key);
        _valueSerializer.Write(writer, value);
    }

    /// <summary>
    /// An entry: the value; how the cut knows of it (<see cref="Tracked"/>); the key group's sharing
    /// mark when the value was last put or copied (a different mark: a snapshot may read the value,
    /// so it is copied before a change in place).
    /// </summary>
    private record struct Slot
    {
        public TValue Value;

        /// <summary>
        /// The interval of the entry's last recorded change, shifted left by <see cref="KindBits"/>, and
        /// how it changed in that interval (<see cref="PutKind"/>, <see cref="CreatedKind"/>: listed as put,
        /// written whole; <see cref="ChangedInPlaceKind"/>: recorded in the change set). A mark of an
        /// earlier interval (or 0: restored, or made before tracking began): untouched since the last cut.
        /// </summary>
        public int Tracked;

        public int CopiedIn;
    }

    /// <summary>
    /// The keys of one key group put or created since the last cut, in the order first so marked, and
    /// how many entries carry that mark. Once the list holds 1 in <see cref="ScanRatio"/> of the key
    /// group's entries it stops growing (<see cref="Overflowed"/>): the cut will scan the entries for
    /// their marks, and a list it would not read is not worth an append per key (a state that grows,
    /// such as q4's open auctions, creates a third of its entries every interval).
    /// </summary>
    private sealed class PutKeys
    {
        public List<TKey> Keys { get; } = [];

        /// <summary>Entries marked as put or created in this interval (a removal unmarks one).</summary>
        public int Live { get; set; }

        /// <summary>True once the keys stopped being listed: the cut scans the key group.</summary>
        public bool Overflowed { get; private set; }

        /// <param name="key">The key marked.</param>
        /// <param name="entries">The key group's entries now.</param>
        public void Add(TKey key, int entries)
        {
            Live++;
            if (Overflowed)
            {
                return;
            }

            if ((long)Keys.Count * ScanRatio >= entries)
            {
                Overflowed = true;
                Keys.Clear();
                return;
            }

            Keys.Add(key);
        }

        public void Clear()
        {
            Keys.Clear();
            Live = 0;
            Overflowed = false;
        }
    }

    /// <summary>
    /// A key group's entries as a snapshot captured them, in chunks small enough to stay out of the
    /// large object heap. Full chunks come from, and go back to, the table's free chunks (every
    /// checkpoint captures about the state of the one before, so after the first they are reused;
    /// the free list keeps no more than the table's entries need); the last, partial one from the
    /// shared array pool.
    /// </summary>
    private sealed class CapturedEntries
    {
        /// <summary>Entries per full chunk: 64 KiB of them, under the large object heap's threshold.</summary>
        private static readonly int ChunkLength = Math.Max(64, 65_536 / Unsafe.SizeOf<KeyValuePair<TKey, TValue>>());

        private readonly int _full;
        private int _returned;

        public CapturedEntries(Stack<KeyValuePair<TKey, TValue>[]> free, int keyGroupIndex, int count)
        {
            KeyGroupIndex = keyGroupIndex;
            Count = count;
            _full = count / ChunkLength;
            var tail = count % ChunkLength;
            Chunks = new KeyValuePair<TKey, TValue>[_full + (tail > 0 ? 1 : 0)][];
            lock (free)
            {
                for (var i = 0; i < _full; i++)
                {
                    Chunks[i] = free.TryPop(out var chunk) ? chunk : new KeyValuePair<TKey, TValue>[ChunkLength];
                }
            }

            if (tail > 0)
            {
                Chunks[_full] = ArrayPool<KeyValuePair<TKey, TValue>>.Shared.Rent(tail);
            }
        }

        public int KeyGroupIndex { get; }

        public int Count { get; }

        /// <summary>The chunks, in order: <see cref="Count"/> entries, every chunk full but the last.</summary>
        public KeyValuePair<TKey, TValue>[][] Chunks { get; }

        /// <summary>Clears the chunks if entries hold references (<see cref="EntriesHoldReferences"/>) and gives them back; once: false if they were already.</summary>
        public bool Return(Stack<KeyValuePair<TKey, TValue>[]> free, long tableEntries)
        {
            if (Interlocked.Exchange(ref _returned, 1) != 0)
            {
                return false;
            }

            if (EntriesHoldReferences)
            {
                for (var i = 0; i < _full; i++)
                {
                    System.Array.Clear(Chunks[i]);
                }
            }

            lock (free)
            {
                for (var i = 0; i < _full && (long)free.Count * ChunkLength <= tableEntries; i++)
                {
                    free.Push(Chunks[i]);
                }
            }

            if (_full < Chunks.Length)
            {
                if (EntriesHoldReferences)
                {
                    System.Array.Clear(Chunks[_full], 0, Count - (_full * ChunkLength));
                }

                ArrayPool<KeyValuePair<TKey, TValue>>.Shared.Return(Chunks[_full]);
            }

            return true;
        }
    }

    /// <summary>Entries collected for a pass over their values, in an array from the shared pool; cleared after each pass (<see cref="EntriesHoldReferences"/>) so it keeps no value alive.</summary>
    private sealed class EntryBuffer(int capacity)
    {
        private KeyValuePair<TKey, TValue>[] _entries = capacity == 0 ? [] : ArrayPool<KeyValuePair<TKey, TValue>>.Shared.Rent(capacity);
        private int _count;

        public int Capacity => _entries.Length;

        public ReadOnlySpan<KeyValuePair<TKey, TValue>> Span => _entries.AsSpan(0, _count);

        public void Add(TKey key, TValue value) => _entries[_count++] = KeyValuePair.Create(key, value);

        public void Clear()
        {
            if (EntriesHoldReferences)
            {
                System.Array.Clear(_entries, 0, _count);
            }

            _count = 0;
        }

        /// <summary>Clears and gives the array back to the pool.</summary>
        public void Return()
        {
            Clear();
            if (_entries.Length > 0)
            {
                ArrayPool<KeyValuePair<TKey, TValue>>.Shared.Return(_entries);
                _entries = [];
            }
        }
    }
}

/// <summary>The type-erased face of a <see cref="StateTable{TKey, TValue}"/> that snapshots and restores use.</summary>
internal interface IStateTable
{
    string Name { get; }

    /// <summary>Captures a key group's entries for a snapshot (values as they are now, copied on a later write in place); null if it is empty.</summary>
    object? Capture(int keyGroupIndex);

    /// <summary>Frees what <see cref="Capture"/> took (once written, or instead of a write); a second call does nothing.</summary>
    void Release(object capture);

    /// <summary>Writes a capture: count, then key and value pairs.</summary>
    void WriteCaptured(object capture, DataWriter writer);

    /// <summary>Loads entries written by <see cref="WriteCaptured"/> into a key group.</summary>
    void RestoreFull(int keyGroupIndex, ReadOnlySpan<byte> payload);

    /// <summary>Starts recording which keys change (incremental checkpoints); idempotent.</summary>
    void TrackChanges();

    /// <summary>Entries of the key group.</summary>
    int EntryCount(int keyGroupIndex);

    /// <summary>Keys of the key group changed since the last <see cref="WriteChanges"/>.</summary>
    int ChangeCount(int keyGroupIndex);

    /// <summary>Forgets the key group's changes since the last cut (a full copy of the key group holds them).</summary>
    void DiscardChanges(int keyGroupIndex);

    /// <summary>Writes the key group's changes since the last call (a cut) as a delta payload and forgets them; false, writing nothing, if there are none.</summary>
    bool WriteChanges(int keyGroupIndex, DataWriter writer);

    /// <summary>Applies a delta payload written by <see cref="WriteChanges"/> to a key group.</summary>
    void ApplyChanges(int keyGroupIndex, ReadOnlySpan<byte> payload);
}
