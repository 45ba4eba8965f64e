using Weir.Streaming.Functions;

namespace Weir.Streaming.Sources;

/// <summary>
/// A bounded source over an in-memory collection. Subtask i of p reads the items at positions
/// i, i+p, i+2p, ...; its split is (subtask, next position), so a restore resumes exactly.
/// </summary>
public sealed class CollectionSource<T>(IEnumerable<T> items) : SourceFunction<T, CollectionSource<T>.Split>
{
    private readonly T[] _items = items.ToArray();
    private List<Split> _splits = [];

    /// <inheritdoc />
    public override IEnumerable<Split> CreateSplits(int subtaskIndex, int parallelism) => [new Split(subtaskIndex, parallelism, subtaskIndex)];

    /// <inheritdoc />
    public override void Open(IReadOnlyList<Split> splits, SourceContext context) => _splits = [.. splits];

    /// <inheritdoc />
    public override SourceStatus Poll(ISourceOutput<T> output, int maxRecords)
    {
        var emitted = 0;
        for (var s = 0; s < _splits.Count && emitted < maxRecords; s++)
        {
            var split = _splits[s];
            output.CurrentSplit = s;
            var position = split.Next;
            while (position < _items.Length && emitted < maxRecords)
            {
                output.Collect(_items[position]);
                position += split.Stride;
                emitted++;
            }

            _splits[s] = split with { Next = position };
        }

        return _splits.All(s => s.Next >= _items.Length) ? SourceStatus.Finished : SourceStatus.MoreAvailable;
    }

    /// <inheritdoc />
    public override IEnumerable<Split> SnapshotSplits() => _splits.ToArray();

    /// <summary>One stride of the collection and the next position to read.</summary>
    public sealed record Split(int Offset, int Stride, int Next);
}
