using Weir.Streaming.Functions;
using static Weir.Jobs.ExactlyOnceCheckJob;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// The fault-injection suite's source: per partition the sequence 0..n-1, rate-limited per subtask,
/// whose last quarter trickles (one record per partition every few milliseconds) until
/// <paramref name="released"/> says the failures under test were injected. So the job cannot end
/// before its failures happen, however slowly checkpoints run on a loaded machine: a failure armed
/// "after two checkpoints" used to miss a run whose input ended after two checkpoints.
/// </summary>
internal sealed class TailHeldSequenceSource(int partitions, long perPartition, double recordsPerSecond, Func<bool> released)
    : SourceFunction<SequenceRecord, TailHeldSequenceSource.Split>
{
    private static readonly TimeSpan TrickleInterval = TimeSpan.FromMilliseconds(5);
    private readonly long _tailFrom = perPartition * 3 / 4;
    private List<Split> _splits = [];
    private SourceContext? _context;
    private long _startTimestamp;
    private long _emitted;

    public override IEnumerable<Split> CreateSplits(int subtaskIndex, int parallelism) =>
        Enumerable.Range(0, partitions).Where(p => p % parallelism == subtaskIndex).Select(p => new Split(p, 0));

    public override void Open(IReadOnlyList<Split> splits, SourceContext context)
    {
        _splits = [.. splits.OrderBy(s => s.Partition)];
        _context = context;
        _startTimestamp = context.Clock.GetTimestamp();
    }

    public override SourceStatus Poll(ISourceOutput<SequenceRecord> output, int maxRecords)
    {
        if (_splits.All(s => s.NextIndex >= perPartition))
        {
            return SourceStatus.Finished;
        }

        var allowed = (long)(_context!.Clock.GetElapsedTime(_startTimestamp).TotalSeconds * recordsPerSecond) - _emitted;
        if (allowed <= 0)
        {
            return SourceStatus.NothingAvailableFor(TimeSpan.FromMilliseconds(1));
        }

        var held = !released();
        var slice = Math.Max(1, Math.Min(maxRecords, allowed) / _splits.Count);
        var waiting = true;
        for (var index = 0; index < _splits.Count; index++)
        {
            var split = _splits[index];
            var inTail = held && split.NextIndex >= _tailFrom;
            waiting &= inTail || split.NextIndex >= perPartition;
            var end = Math.Min(split.NextIndex + (inTail ? 1 : slice), perPartition);
            output.CurrentSplit = index;
            for (var next = split.NextIndex; next < end; next++)
            {
                output.Collect(new SequenceRecord(split.Partition, next, 0));
            }

            _emitted += end - split.NextIndex;
            _splits[index] = split with { NextIndex = end };
        }

        return waiting ? SourceStatus.NothingAvailableFor(TrickleInterval) : SourceStatus.MoreAvailable;
    }

    public override IEnumerable<Split> SnapshotSplits() => _splits.ToArray();

    /// <summary>A partition and the index of its next record.</summary>
    public sealed record Split(int Partition, long NextIndex);
}
