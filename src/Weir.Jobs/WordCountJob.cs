using Weir.Checkpointing.Configuration;
using Weir.Streaming.Api;
using Weir.Streaming.Graph;
using Weir.Streaming.Sinks;
using Weir.Streaming.Sources;

namespace Weir.Jobs;

/// <summary>
/// Generated words → a running count per word in keyed state → a sink. The words come from a
/// seeded generator over 8 partitions (so a restore at any parallelism resumes exactly), drawn
/// from a vocabulary of 10,000 with a skewed (Zipf-like) frequency.
/// </summary>
public sealed class WordCountJob : BuiltInJob
{
    private const int Vocabulary = 10_000;

    /// <inheritdoc />
    public override string Name => "wordcount";

    /// <inheritdoc />
    public override string Description => "generated words -> running count per word (keyed state) -> sink";

    /// <inheritdoc />
    public override JobRun Create(JobParameters parameters, WeirOptions options)
    {
        var parallelism = parameters.Parallelism ?? options.Pipeline.DefaultParallelism;
        var env = StreamExecutionEnvironment.Create(parallelism, options.Pipeline.MaxParallelism, options.Pipeline.OperatorChaining);
        var seed = parameters.Seed;
        env.AddSource(new GeneratorSource<string>((partition, index) => Word(seed, partition, index), parameters.Partitions ?? 8, recordsPerSecond: parameters.RecordsPerSecond), "words")
            .Uid("words")
            .KeyBy(word => word)
            .Map(word => (Word: word, Count: 1L))
            .Name("pair")
            .KeyBy(pair => pair.Word)
            .Reduce((a, b) => (a.Word, a.Count + b.Count), "count")
            .Uid("count")
            .AddSink(new DiscardingSink<(string Word, long Count)>(), "counts")
            .Uid("counts");
        return new JobRun(env.Build(Name));
    }

    /// <summary>The word at (partition, index): deterministic for the seed; skewed towards low word numbers.</summary>
    public static string Word(int seed, int partition, long index)
    {
        var h = Mix((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)partition * 0xC2B2AE3D27D4EB4FUL ^ (ulong)index);
        var uniform = (h >> 11) * (1.0 / (1UL << 53));
        var rank = (int)(Math.Pow(Vocabulary, uniform)) - 1;
        return "w" + rank;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
