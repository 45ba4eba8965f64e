using System.Collections.Concurrent;

namespace Weir.Streaming.Sinks;

/// <summary>
/// Collects committed records in memory under a name, exactly once (a <see cref="TransactionalSink{T}"/>
/// whose commit is idempotent per transaction): for tests and examples in one process.
/// </summary>
public sealed class CollectingSink<T>(string name) : TransactionalSink<T>
{
    /// <summary>The results collected under <paramref name="name"/>.</summary>
    public static CollectedResults<T> Results(string name) => CollectedResults<T>.Get(name);

    /// <inheritdoc />
    protected override void Commit(string transactionId, IReadOnlyList<T> records) => CollectedResults<T>.Get(name).Commit(transactionId, records);
}

/// <summary>The records committed by the collecting sinks of one name.</summary>
public sealed class CollectedResults<T>
{
    private static readonly ConcurrentDictionary<string, CollectedResults<T>> ByName = new(StringComparer.Ordinal);
    private readonly object _lock = new();
    private readonly HashSet<string> _transactions = new(StringComparer.Ordinal);
    private readonly List<T> _records = [];

    /// <summary>Committed records, in commit order.</summary>
    public IReadOnlyList<T> Records
    {
        get
        {
            lock (_lock)
            {
                return [.. _records];
            }
        }
    }

    /// <summary>Transactions committed (each once, however often it was committed).</summary>
    public int Transactions
    {
        get
        {
            lock (_lock)
            {
                return _transactions.Count;
            }
        }
    }

    /// <summary>The results of <paramref name="name"/>, created empty on first use.</summary>
    public static CollectedResults<T> Get(string name) => ByName.GetOrAdd(name, _ => new CollectedResults<T>());

    /// <summary>Forgets the results of <paramref name="name"/>.</summary>
    public static void Reset(string name) => ByName.TryRemove(name, out _);

    internal void Commit(string transactionId, IReadOnlyList<T> records)
    {
        lock (_lock)
        {
            if (_transactions.Add(transactionId))
            {
                _records.AddRange(records);
            }
        }
    }
}
