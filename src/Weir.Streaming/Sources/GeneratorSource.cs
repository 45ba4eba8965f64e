using Weir.Streaming.Functions;

namespace Weir.Streaming.Sources;

/// <summary>
/// A deterministic, seeded generator: <c>partitions</c> logical partitions, each a sequence of
/// records computed from (partition, index) alone, so any position can be replayed exactly.
/// Its splits are (partition, next index); an optional per-subtask rate limit spaces emission on
/// the clock, and an optional count per partition makes it bounded.
/// </summary>
public sealed class GeneratorSource<T> : SourceFunction<T, GeneratorSource<T>.Split>
{
    private readonly Func<int, long, T> _generate;
    private readonly int _partitions;
    private readonly long? _recordsPerPartition;
    private readonly double? _recordsPerSecond;
    private readonly Func<T, long>? _timestampOf;
    private List<Split> _splits = [];
    private SourceContext? _context;
    private long _startTimestamp;
    private long _emitted;
    private int _nextSplit;

    /// <summary>Creates a generator.</summary>
    /// <param name="generate">The record at (partition, index); must be a pure function of its arguments.</param>
    /// <param name="partitions">Logical partitions, independent of parallelism (so a rescaled restore moves whole partitions).</param>
    /// <param name="recordsPerPartition">Stop after this many per partition; null for unbounded.</param>
    /// <param name="recordsPerSecond">Per-subtask rate limit; null for as fast as possible.</param>
    /// <param name="timestampOf">Event timestamp of a record, if records carry event time.</param>
    public GeneratorSource(Func<int, long, T> generate, int partitions, long? recordsPerPartition = null, double? recordsPerSecond = null, Func<T, long>? timestampOf = null)
    {
        ArgumentNullException.ThrowIfNull(generate);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        if (recordsPerSecond is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(recordsPerSecond), recordsPerSecond, "A rate limit must be positive.");
        }

        _generate = generate;
        _partitions = partitions;
        _recordsPerPartition = recordsPerPartition;
        _recordsPerSecond = recordsPerSecond;
        _timestampOf = timestampOf;
    }

    /// <inheritdoc />
    public override IEnumerable<Split> CreateSplits(int subtaskIndex, int parallelism) =>
        Enumerable.Range(0, _partitions).Where(p => p % parallelism == subtaskIndex).Select(p => new Split(p, 0));

    /// <inheritdoc />
    public override void Open(IReadOnlyList<Split> splits, SourceContext context)
    {
        _splits = [.. splits.OrderBy(s => s.Partition)];
        _context = context;
        _startTimestamp = context.Clock.GetTimestamp();
    }

    /// <inheritdoc />
    public override SourceStatus Poll(ISourceOutput<T> output, int maxRecords)
    {
        if (_splits.Count == 0 || _splits.All(IsExhausted))
        {
            return SourceStatus.Finished;
        }

        var budget = maxRecords;
        if (_recordsPerSecond is { } rate)
        {
            var elapsed = _context!.Clock.GetElapsedTime(_startTimestamp).TotalSeconds;
            var allowed = (long)(elapsed * rate) - _emitted;
            if (allowed <= 0)
            {
                return SourceStatus.NothingAvailableFor(TimeSpan.FromSeconds(Math.Max(1.0 / rate, 0.001)));
            }

            budget = (int)Math.Min(budget, allowed);
        }

        // Round-robin over splits, a slice each, so partitions advance evenly.
        var slice = Math.Max(1, budget / _splits.Count);
        while (budget > 0 && !_splits.All(IsExhausted))
        {
            var index = _nextSplit;
            _nextSplit = (_nextSplit + 1) % _splits.Count;
            var split = _splits[index];
            output.CurrentSplit = index;
            var next = split.NextIndex;
            var end = Math.Min(next + Math.Min(slice, budget), _recordsPerPartition ?? long.MaxValue);
            for (; next < end; next++)
            {
                var record = _generate(split.Partition, next);
                if (_timestampOf is null)
                {
                    output.Collect(record);
                }
                else
                {
                    output.Collect(record, _timestampOf(record));
                }
            }

            budget -= (int)(next - split.NextIndex);
            _emitted += next - split.NextIndex;
            _splits[index] = split with { NextIndex = next };
        }

        return _splits.All(IsExhausted) ? SourceStatus.Finished : SourceStatus.MoreAvailable;
    }

    /// <inheritdoc />
    public override IEnumerable<Split> SnapshotSplits() => _splits.ToArray();

    private bool IsExhausted(Split split) => _recordsPerPartition is { } limit && split.NextIndex >= limit;

    /// <summary>A partition and the index of its next record.</summary>
    public sealed record Split(int Partition, long NextIndex);
}
