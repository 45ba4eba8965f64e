using Weir.Streaming.Functions;
using Weir.Streaming.Sources;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// The recovery tests' source: a <see cref="GeneratorSource{T}"/> (made by <paramref name="generator"/>)
/// whose last quarter trickles, one record per poll every few
/// milliseconds, until <paramref name="released"/> says the failures under test were injected. So
/// the job cannot end before its failures happen, however slowly checkpoints run on a loaded
/// machine: a failure armed "after two checkpoints" used to miss a run whose input ended after two
/// checkpoints.
/// </summary>
internal sealed class TailHeldSource<T>(Func<GeneratorSource<T>> generator, long perPartition, Func<bool> released)
    : SourceFunction<T, GeneratorSource<T>.Split>
{
    private static readonly TimeSpan TrickleInterval = TimeSpan.FromMilliseconds(5);
    private readonly long _tailFrom = perPartition * 3 / 4;

    // Made in Open: each subtask runs a shallow copy of this source, and needs a generator of its own.
    private GeneratorSource<T>? _generator;

    public override IEnumerable<GeneratorSource<T>.Split> CreateSplits(int subtaskIndex, int parallelism) =>
        generator().CreateSplits(subtaskIndex, parallelism);

    public override void Open(IReadOnlyList<GeneratorSource<T>.Split> splits, SourceContext context)
    {
        _generator = generator();
        _generator.Open(splits, context);
    }

    public override SourceStatus Poll(ISourceOutput<T> output, int maxRecords)
    {
        if (released() || _generator!.SnapshotSplits().Any(s => s.NextIndex < _tailFrom))
        {
            return _generator!.Poll(output, maxRecords);
        }

        var status = _generator.Poll(output, 1);
        return status.State == SourceState.MoreAvailable ? SourceStatus.NothingAvailableFor(TrickleInterval) : status;
    }

    public override IEnumerable<GeneratorSource<T>.Split> SnapshotSplits() => _generator!.SnapshotSplits();
}
