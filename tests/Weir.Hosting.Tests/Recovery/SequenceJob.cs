using Weir.Jobs;
using Weir.Streaming.Api;
using Weir.Streaming.Graph;
using Weir.Streaming.Sinks;
using Weir.Streaming.Sources;
using static Weir.Jobs.ExactlyOnceCheckJob;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// The job of the fault-injection suite (after Flink's checkpointing ITCases): a bounded, rate-limited
/// source of (partition, sequence) records, a keyed running count with failure points, and an
/// exactly-once collecting sink. Its output is checked against its input by <see cref="Verify"/>.
/// </summary>
internal static class SequenceJob
{
    public const string CountUid = "count";

    /// <summary>
    /// The job: <paramref name="partitions"/> sequences of <paramref name="perPartition"/> records at
    /// <paramref name="ratePerSubtask"/> records/s per source subtask; if <paramref name="tailReleased"/>
    /// is given, the last quarter of each sequence trickles until it returns true (<see cref="TailHeldSource{T}"/>).
    /// </summary>
    public static JobGraph Build(string name, int parallelism, int partitions, long perPartition, double ratePerSubtask, FailureInjector injector, string sink, Func<bool>? tailReleased = null)
    {
        var env = StreamExecutionEnvironment.Create(parallelism);
        GeneratorSource<SequenceRecord> Generator() => new((p, i) => new SequenceRecord(p, i, 0), partitions, perPartition, ratePerSubtask);
        var source = tailReleased is null
            ? env.AddSource(Generator(), "sequences")
            : env.AddSource(new TailHeldSource<SequenceRecord>(Generator, perPartition, tailReleased), "sequences");
        source
            .Uid("sequences")
            .KeyBy(r => r.Partition)
            .Process(new RunningCount(injector, CountUid), "count")
            .Uid(CountUid)
            .AddSink(new CollectingSink<SequenceRecord>(sink), "collect")
            .Uid("collect");
        return env.Build(name);
    }

    /// <summary>Records out compared with records in: per partition, sequences 0..n-1, each once, in order, with the right running count.</summary>
    public static Verdict Verify(IReadOnlyList<SequenceRecord> output, int partitions, long perPartition)
    {
        long lost = 0, duplicated = 0, outOfOrder = 0, wrongCount = 0;
        foreach (var group in output.GroupBy(r => r.Partition))
        {
            var seen = new HashSet<long>();
            var next = 0L;
            foreach (var record in group)
            {
                if (!seen.Add(record.Sequence))
                {
                    duplicated++;
                    continue;
                }

                if (record.Sequence != next)
                {
                    outOfOrder++;
                }

                next = record.Sequence + 1;
                if (record.RunningCount != record.Sequence + 1)
                {
                    wrongCount++;
                }
            }

            lost += perPartition - seen.Count;
        }

        lost += (partitions - output.Select(r => r.Partition).Distinct().Count()) * perPartition;
        return new Verdict(partitions * perPartition, output.Count, lost, duplicated, outOfOrder, wrongCount);
    }

    public sealed record Verdict(long RecordsIn, long RecordsOut, long Lost, long Duplicated, long OutOfOrder, long WrongRunningCount)
    {
        public override string ToString() =>
            $"records in={RecordsIn} out={RecordsOut} lost={Lost} duplicated={Duplicated} out-of-order={OutOfOrder} wrong-running-count={WrongRunningCount}";
    }
}
