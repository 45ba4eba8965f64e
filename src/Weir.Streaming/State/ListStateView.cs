using System.Collections;

namespace Weir.Streaming.State;

/// <summary>
/// The current key's list of an <see cref="IListState{T}"/>, as <see cref="IListState{T}.Get"/> hands it
/// out: read-only (change it through the state, which records the change for checkpoints), and live
/// (a value the state appends later shows here, as in the list itself). A <c>foreach</c> over it uses the
/// list's own enumerator, a struct, where one over <see cref="IReadOnlyList{T}"/> allocated one per call,
/// per record in a function that reads its list for every record.
/// </summary>
public readonly struct ListStateView<T> : IReadOnlyList<T>
{
    private static readonly List<T> Empty = [];
    private readonly List<T>? _list;

    internal ListStateView(List<T>? list) => _list = list;

    /// <summary>The list viewed (null: the key has none), for tests of which list the state holds.</summary>
    internal List<T>? Source => _list;

    /// <inheritdoc />
    public int Count => _list?.Count ?? 0;

    /// <inheritdoc />
    public T this[int index] => (_list ?? Empty)[index];

    /// <summary>Enumerates the elements without allocating.</summary>
    public List<T>.Enumerator GetEnumerator() => (_list ?? Empty).GetEnumerator();

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
