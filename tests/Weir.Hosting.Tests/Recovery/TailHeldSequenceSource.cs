using Weir.Streaming.Functions;
using Weir.Streaming.Sources;
using static Weir.Jobs.ExactlyOnceCheckJob;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// The fault-injection suite's source: a <see cref="GeneratorSource{T}"/> of sequences (made by
/// <paramref name="generator"/>) whose last quarter trickles, one record per poll every few
/// milliseconds, until <paramref name="released"/> says the failures under test were injected. So
/// the job cannot end before its failures happen, however slowly checkpoints run on a loaded
/// machine: a failure armed "after two checkpoints" used to miss a run whose input ended after two
/// checkpoints.
/// </summary>
internal sealed class TailHeldSequenceSource(Func<GeneratorSource<SequenceRecord>> generator, long perPartition, Func<bool> released)
    : SourceFunction<SequenceRecord, GeneratorSource<SequenceRecord>.Split>
{
    private static readonly TimeSpan TrickleInterval = TimeSpan.FromMilliseconds(5);
    private readonly long _tailFrom = perPartition * 3 / 4;

    // Made in Open: each subtask runs a shallow copy of this source, and needs a generator of its own.
    private GeneratorSource<SequenceRecord>? _generator;

    public override IEnumerable<GeneratorSource<SequenceRecord>.Split> CreateSplits(int subtaskIndex, int parallelism) =>
        generator().CreateSplits(subtaskIndex, parallelism);

    public override void Open(IReadOnlyList<GeneratorSource<SequenceRecord>.Split> splits, SourceContext context)
    {
        _generator = generator();
        _generator.Open(splits, context);
    }

    public override SourceStatus Poll(ISourceOutput<SequenceRecord> output, int maxRecords)
    {
        if (released() || _generator!.SnapshotSplits().Any(s => s.NextIndex < _tailFrom))
        {
            return _generator!.Poll(output, maxRecords);
        }

        var status = _generator.Poll(output, 1);
        return status.State == SourceState.MoreAvailable ? SourceStatus.NothingAvailableFor(TrickleInterval) : status;
    }

    public override IEnumerable<GeneratorSource<SequenceRecord>.Split> SnapshotSplits() => _generator!.SnapshotSplits();
}
