using System.Diagnostics;
using Weir.Streaming.Api;
using Weir.Streaming.Graph;
using Weir.Streaming.Sinks;
using Weir.Streaming.Sources;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// Keyed running sums over generated (key, value) records, for tests that check a checkpoint's state
/// against its cut: <see cref="Partitions"/> sequences of <see cref="PerPartition"/> records over
/// <see cref="Keys"/> keys, summed per key (uid "sum"), then a step that may spin to backpressure the
/// sums ("slow"), into a collecting sink.
/// </summary>
internal sealed record SumJob(string Name, int Partitions, long PerPartition, int Keys)
{
    /// <summary>The job at <paramref name="rate"/> records/s per source subtask; each record spends <paramref name="spinMicros"/> µs in "slow".</summary>
    public JobGraph Build(int parallelism, double rate, string sink, int spinMicros = 0)
    {
        var spin = Stopwatch.Frequency * spinMicros / 1_000_000;
        var env = StreamExecutionEnvironment.Create(parallelism);
        env.AddSource(new GeneratorSource<(int Key, long Value)>(Record, Partitions, PerPartition, rate), "numbers")
            .Uid("numbers")
            .KeyBy(r => r.Key)
            .Reduce((a, b) => (a.Key, a.Value + b.Value), "sum")
            .Uid("sum")
            .Map(
                r =>
                {
                    var until = Stopwatch.GetTimestamp() + spin;
                    while (Stopwatch.GetTimestamp() < until)
                    {
                    }

                    return r;
                },
                "slow")
            .Uid("slow")
            .AddSink(new CollectingSink<(int Key, long Value)>(sink))
            .Uid("collect");
        return env.Build(Name);
    }

    /// <summary>Record <paramref name="index"/> of <paramref name="partition"/>.</summary>
    public (int Key, long Value) Record(int partition, long index) => ((int)((partition * 7919 + index) % Keys), index % 97);

    /// <summary>The sums per key of the first records of each partition in <paramref name="prefixes"/> (partition, how many).</summary>
    public Dictionary<int, long> SumsOf(IEnumerable<(int Partition, long Count)> prefixes) =>
        Sums(prefixes.SelectMany(p => Range(p.Partition, p.Count)));

    /// <summary>The sums per key over all input.</summary>
    public Dictionary<int, long> Totals() => SumsOf(Enumerable.Range(0, Partitions).Select(p => (p, PerPartition)));

    /// <summary>The last sum the job emitted per key (sums only grow: values are not negative).</summary>
    public static Dictionary<int, long> Finals(IEnumerable<(int Key, long Value)> emitted) =>
        emitted.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Max(r => r.Value));

    /// <summary>The sums per key of <paramref name="records"/>.</summary>
    public static Dictionary<int, long> Sums(IEnumerable<(int Key, long Value)> records) =>
        records.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Sum(r => r.Value));

    private IEnumerable<(int Key, long Value)> Range(int partition, long count)
    {
        for (var i = 0L; i < count; i++)
        {
            yield return Record(partition, i);
        }
    }
}
