using Weir.Benchmarks.Nexmark.Model;
using Weir.Benchmarks.Nexmark.Running;
using Weir.Streaming.Functions;

namespace Weir.Benchmarks.Nexmark.Generator;

/// <summary>
/// Nexmark as a Weir source. The event sequence is dealt over <c>partitions</c> logical partitions:
/// partition p generates events p, p + P, p + 2P, ... of the one sequence, so every partition's
/// event times never decrease and the union of the partitions is the same stream whatever P is.
/// A split is (partition, next index): the source's checkpointed state, from which a restore (at
/// any parallelism) regenerates exactly the events after the checkpoint. Records carry their
/// event time; watermarks come per split from the job's watermark strategy.
/// </summary>
public sealed class NexmarkSource : SourceFunction<Event, NexmarkSplit>
{
    private readonly GeneratorConfig _config;
    private readonly int _partitions;
    private readonly long _events;
    private readonly ThroughputProbe? _probe;
    private NexmarkGenerator? _generator;
    private NexmarkSplit[] _splits = [];
    private int _next;

    /// <summary>A source of the first <paramref name="events"/> events, over <paramref name="partitions"/> partitions; <paramref name="probe"/> (shared by the subtasks) times the run.</summary>
    public NexmarkSource(GeneratorConfig config, long events, int partitions, ThroughputProbe? probe = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegative(events);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        _config = config.Validate();
        _events = events;
        _partitions = partitions;
        _probe = probe;
    }

    /// <summary>Events partition <paramref name="partition"/> of <paramref name="partitions"/> holds, of the first <paramref name="events"/>.</summary>
    public static long EventsIn(int partition, int partitions, long events) => Math.Max(0, (events - partition + partitions - 1) / partitions);

    /// <inheritdoc />
    public override IEnumerable<NexmarkSplit> CreateSplits(int subtaskIndex, int parallelism) =>
        Enumerable.Range(0, _partitions).Where(p => p % parallelism == subtaskIndex).Select(p => new NexmarkSplit(p, 0));

    /// <inheritdoc />
    public override void Open(IReadOnlyList<NexmarkSplit> splits, SourceContext context)
    {
        _generator = new NexmarkGenerator(_config);
        _splits = [.. splits.OrderBy(s => s.Partition)];
        _next = 0;
    }

    /// <inheritdoc />
    public override SourceStatus Poll(ISourceOutput<Event> output, int maxRecords)
    {
        var generator = _generator!;
        var budget = maxRecords;
        var slice = Math.Max(1, maxRecords / Math.Max(1, _splits.Length));

        // Round-robin over the splits, a slice each, so partitions (and their watermarks) advance
        // evenly; stop when the budget is spent or a whole round found every split at its end.
        var exhaustedInARow = 0;
        while (budget > 0 && exhaustedInARow < _splits.Length)
        {
            var index = _next;
            _next = _next + 1 == _splits.Length ? 0 : _next + 1;
            var split = _splits[index];
            var end = Math.Min(split.NextIndex + Math.Min(slice, budget), EventsIn(split.Partition, _partitions, _events));
            if (split.NextIndex >= end)
            {
                exhaustedInARow++;
                continue;
            }

            exhaustedInARow = 0;
            output.CurrentSplit = index;
            var number = split.Partition + (split.NextIndex * _partitions);
            for (var i = split.NextIndex; i < end; i++, number += _partitions)
            {
                var e = generator.At(number);
                output.Collect(e, e.DateTime);
            }

            budget -= (int)(end - split.NextIndex);
            _splits[index] = split with { NextIndex = end };
        }

        _probe?.OnEmitted(maxRecords - budget);

        return _splits.All(s => s.NextIndex >= EventsIn(s.Partition, _partitions, _events)) ? SourceStatus.Finished : SourceStatus.MoreAvailable;
    }

    /// <inheritdoc />
    public override IEnumerable<NexmarkSplit> SnapshotSplits() => _splits.ToArray();
}

/// <summary>A partition of the Nexmark stream and the index (within the partition) of its next event.</summary>
public sealed record NexmarkSplit(int Partition, long NextIndex);
