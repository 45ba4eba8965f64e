using System.Diagnostics.CodeAnalysis;

namespace Weir.Grains.Channels;

/// <summary>
/// A FIFO channel from one producer to one consumer, bounded by credit: the producer may write
/// only while it holds credit, one credit per item (a batch of records or a control element);
/// reading an item returns its credit. So a slow consumer bounds how much a producer can buffer.
///
/// Neither side blocks. A producer without credit registers interest and goes on with other
/// work (a subtask still answers checkpoint triggers while backpressured); the producer signal
/// fires when credit returns. The consumer signal fires when an empty channel gets an item or
/// is completed. Signals run on the thread that caused them and should only schedule work
/// (e.g. <see cref="Mailbox.MailboxProcessor.Resume"/>). Writes from several threads are
/// totally ordered; each writer's items arrive in the order it wrote them.
///
/// A priority item (<see cref="WritePriority"/>: an unaligned checkpoint's barrier) overtakes the
/// ordinary items queued, needs no credit and returns none: it is read before them, after the
/// priority items written before it, and learns which items it overtook. With an
/// <see cref="IPromotion{T}"/>, an ordinary item it names turns into such a priority item when it is
/// due and the consumer reads: it leaves its place (returning its credit) and overtakes the items
/// before it.
/// </summary>
/// <typeparam name="T">The item type; batches travel by reference.</typeparam>
public sealed class OrderedChannel<T>
{
    private readonly object _lock = new();
    private readonly Queue<T> _items;
    private readonly Queue<T> _priority = new();
    private readonly IPromotion<T>? _promotion;
    private readonly List<T> _promotable = []; // ordinary items queued that may be promoted, oldest first
    private Action? _consumerSignal;
    private Action? _producerSignal;
    private bool _producerWaiting;
    private bool _completed;

    /// <summary>Creates a channel holding at most <paramref name="capacity"/> items, whose items <paramref name="promotion"/> may promote.</summary>
    public OrderedChannel(int capacity, IPromotion<T>? promotion = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _items = new Queue<T>(capacity);
        _promotion = promotion;
    }

    /// <summary>The most items the channel holds; the producer's initial credit.</summary>
    public int Capacity { get; }

    /// <summary>Items written and not yet read (priority items included).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count + _priority.Count;
            }
        }
    }

    /// <summary>Priority items written and not yet read.</summary>
    internal int PriorityCount
    {
        get
        {
            lock (_lock)
            {
                return _priority.Count;
            }
        }
    }

    /// <summary>Ordinary items written and not yet read: those that hold credit.</summary>
    internal int OrdinaryCount
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>How many more items the producer may write now.</summary>
    public int Credit
    {
        get
        {
            lock (_lock)
            {
                return Capacity - _items.Count;
            }
        }
    }

    /// <summary>True once <see cref="Complete"/> was called and every item was read.</summary>
    public bool IsDrained
    {
        get
        {
            lock (_lock)
            {
                return _completed && _items.Count == 0 && _priority.Count == 0;
            }
        }
    }

    /// <summary>Sets what runs when items become available to the consumer.</summary>
    public void SetConsumerSignal(Action signal) => _consumerSignal = signal;

    /// <summary>Sets what runs when credit returns to a producer that found none.</summary>
    public void SetProducerSignal(Action signal) => _producerSignal = signal;

    /// <summary>Runs after every read, outside the lock: how a cross-silo channel returns credit to its remote producer.</summary>
    internal Action? ItemRead { get; set; }

    /// <summary>Writes an item if the producer has credit. Without credit, returns false and signals the producer when credit returns.</summary>
    /// <exception cref="InvalidOperationException">The channel was completed.</exception>
    public bool TryWrite(T item)
    {
        bool wasEmpty;
        lock (_lock)
        {
            if (_completed)
            {
                throw new InvalidOperationException("The channel was completed: no item may be written after end of input.");
            }

            if (_items.Count >= Capacity)
            {
                _producerWaiting = true;
                return false;
            }

            wasEmpty = _items.Count == 0 && _priority.Count == 0;
            _items.Enqueue(item);
            if (_promotion?.MayPromote(item) == true)
            {
                _promotable.Add(item);
            }
        }

        if (wasEmpty)
        {
            _consumerSignal?.Invoke();
        }

        return true;
    }

    /// <summary>
    /// Writes a priority item, with or without credit: it is read after the priority items before
    /// it and before every ordinary item queued now. <paramref name="create"/> makes the item from
    /// the ordinary items it overtakes, oldest first (called once, under the channel's lock: it
    /// should only wrap them).
    /// </summary>
    /// <exception cref="InvalidOperationException">The channel was completed.</exception>
    public void WritePriority(Func<T[], T> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        bool wasEmpty;
        lock (_lock)
        {
            if (_completed)
            {
                throw new InvalidOperationException("The channel was completed: no item may be written after end of input.");
            }

            wasEmpty = _items.Count == 0 && _priority.Count == 0;
            _priority.Enqueue(create(_items.ToArray()));
        }

        if (wasEmpty)
        {
            _consumerSignal?.Invoke();
        }
    }

    /// <summary>Reads the oldest priority item (after promoting the items due), else the oldest item (returning its credit to the producer).</summary>
    public bool TryRead([MaybeNullWhen(false)] out T item) => Read(ordinary: true, out item);

    /// <summary>Reads the oldest priority item (after promoting the items due), if there is one; never an ordinary item.</summary>
    public bool TryReadPriority([MaybeNullWhen(false)] out T item) => Read(ordinary: false, out item);

    /// <summary>Looks at the item <see cref="TryRead"/> would read, without reading it (nor promoting any).</summary>
    public bool TryPeek([MaybeNullWhen(false)] out T item)
    {
        lock (_lock)
        {
            return _priority.TryPeek(out item) || _items.TryPeek(out item);
        }
    }

    /// <summary>Marks end of input: nothing more will be written. Items already written remain readable.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
        }

        _consumerSignal?.Invoke();
    }

    private bool Read(bool ordinary, [MaybeNullWhen(false)] out T item)
    {
        bool read;
        bool signalProducer;
        int credits;
        lock (_lock)
        {
            credits = PromoteDue();
            read = _priority.TryDequeue(out item);
            if (!read && ordinary && _items.TryDequeue(out item))
            {
                read = true;
                credits++;
                if (_promotable.Count > 0 && EqualityComparer<T>.Default.Equals(_promotable[0], item))
                {
                    _promotable.RemoveAt(0);
                }
            }

            signalProducer = ProducerToSignal(credits);
        }

        Returned(credits, signalProducer);
        return read;
    }

    /// <summary>Under the lock: whether a producer waiting for credit is to hear that <paramref name="credits"/> ordinary items left the queue.</summary>
    private bool ProducerToSignal(int credits)
    {
        if (credits == 0 || !_producerWaiting)
        {
            return false;
        }

        _producerWaiting = false;
        return true;
    }

    /// <summary>Outside the lock: tells the waiting producer, and the credit return, that <paramref name="credits"/> ordinary items left the queue.</summary>
    private void Returned(int credits, bool signalProducer)
    {
        if (signalProducer)
        {
            _producerSignal?.Invoke();
        }

        for (var i = 0; i < credits; i++)
        {
            ItemRead?.Invoke();
        }
    }

    /// <summary>
    /// Under the lock: moves each due promotable item out of the ordinary queue, as the priority item
    /// it becomes over the items before it. Returns how many left the queue (each returns a credit).
    /// </summary>
    private int PromoteDue()
    {
        if (_promotable.Count == 0)
        {
            return 0;
        }

        var promoted = 0;
        for (var i = 0; i < _promotable.Count;)
        {
            var candidate = _promotable[i];
            if (!_promotion!.IsDue(candidate))
            {
                i++;
                continue;
            }

            _promotable.RemoveAt(i);
            var queued = _items.ToArray();
            var at = Array.FindIndex(queued, item => EqualityComparer<T>.Default.Equals(item, candidate));
            if (at < 0)
            {
                continue;
            }

            _items.Clear();
            for (var j = 0; j < queued.Length; j++)
            {
                if (j != at)
                {
                    _items.Enqueue(queued[j]);
                }
            }

            _priority.Enqueue(_promotion.Promote(candidate, queued[..at]));
            promoted++;
        }

        return promoted;
    }
}
