using System.Globalization;
using Weir.Benchmarks.Nexmark.Queries;
using Weir.Checkpointing.Configuration;

namespace Weir.Benchmarks.Nexmark.Running;

/// <summary>The options of <c>nexmark</c>; <see cref="Parse"/> returns null (after printing why) when they are not valid.</summary>
internal sealed record NexmarkSettings
{
    public const string Usage = """
        usage: nexmark --query <q0|q1|q2|q3|q4|q5|q7|q8> --events <n> --parallelism <p> [--json <file>]
                       [--checkpoint-interval <duration, e.g. 1s; default off>] [--incremental]
                       [--output <rows.jsonl>] [--dump-events <events.jsonl>]
                       [--baseline] [--with-baseline] [--compare-off] [--runs <n, default 1>] [--warmup-events <n>]
                       [--partitions <n, default parallelism>] [--event-rate <events per second of event time, default 10000000>]
                       [--seed <n, default 42>] [--channel-capacity <batches, default 8>] [--verbose]
          --baseline        only the generator, into a counting blackhole on <parallelism> threads (no Weir)
          --with-baseline   also run the baseline each run, and report the ratio
          --compare-off     also run each run with checkpoints off, and report the ratio on/off
          --verbose         print every checkpoint's trigger and completion (the coordinator's log)
        numbers take K/M/G suffixes (50M = 50,000,000).
        """;

    public required NexmarkQuery Query { get; init; }

    public required long Events { get; init; }

    public required int Parallelism { get; init; }

    public int Partitions { get; init; }

    public TimeSpan? CheckpointInterval { get; init; }

    public bool Incremental { get; init; }

    public string? OutputPath { get; init; }

    public string? DumpEventsPath { get; init; }

    public string JsonPath { get; init; } = string.Empty;

    public bool BaselineOnly { get; init; }

    public bool WithBaseline { get; init; }

    public bool CompareOff { get; init; }

    public int Runs { get; init; } = 1;

    public long WarmupEvents { get; init; }

    public long EventRate { get; init; } = 10_000_000;

    public long Seed { get; init; } = 42;

    public int? ChannelCapacity { get; init; }

    public bool Verbose { get; init; }

    public static NexmarkSettings? Parse(string[] args, TextWriter error)
    {
        NexmarkQuery? query = null;
        long? events = null;
        int? parallelism = null, partitions = null, channelCapacity = null;
        TimeSpan? interval = null;
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                var name = args[i];
                if (name is "--incremental" or "--baseline" or "--with-baseline" or "--compare-off" or "--verbose")
                {
                    flags.Add(name);
                    continue;
                }

                if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                {
                    throw new FormatException($"'{name}' is not an option, or it has no value.");
                }

                var value = args[++i];
                switch (name)
                {
                    case "--query":
                        query = NexmarkQueries.Find(value) ?? throw new FormatException($"--query: unknown query '{value}'; one of {string.Join(", ", NexmarkQueries.All.Select(q => q.Name))}.");
                        break;
                    case "--events":
                        events = Count(name, value, 1);
                        break;
                    case "--parallelism":
                        parallelism = (int)Count(name, value, 1, 128);
                        break;
                    case "--partitions":
                        partitions = (int)Count(name, value, 1, 4096);
                        break;
                    case "--channel-capacity":
                        channelCapacity = (int)Count(name, value, 1, 4096);
                        break;
                    case "--checkpoint-interval":
                        interval = value is "0" or "off" or "none" ? null : FlinkDuration.Parse(value);
                        if (interval <= TimeSpan.Zero)
                        {
                            interval = null;
                        }

                        break;
                    case "--output" or "--dump-events" or "--json" or "--runs" or "--warmup-events" or "--event-rate" or "--seed":
                        settings[name] = value;
                        break;
                    default:
                        throw new FormatException($"Unknown option '{name}'.");
                }
            }

            if (query is null || events is null || parallelism is null)
            {
                throw new FormatException("--query, --events and --parallelism are required.");
            }

            var result = new NexmarkSettings
            {
                Query = query,
                Events = events.Value,
                Parallelism = parallelism.Value,
                Partitions = partitions ?? parallelism.Value,
                CheckpointInterval = interval,
                Incremental = flags.Contains("--incremental"),
                BaselineOnly = flags.Contains("--baseline"),
                WithBaseline = flags.Contains("--with-baseline"),
                CompareOff = flags.Contains("--compare-off"),
                OutputPath = settings.GetValueOrDefault("--output"),
                DumpEventsPath = settings.GetValueOrDefault("--dump-events"),
                JsonPath = settings.GetValueOrDefault("--json") ?? Path.Combine("BenchmarkDotNet.Artifacts", "results", $"nexmark-{query.Name}.json"),
                Runs = settings.TryGetValue("--runs", out var runs) ? (int)Count("--runs", runs, 1, 100) : 1,
                WarmupEvents = settings.TryGetValue("--warmup-events", out var warmup) ? Count("--warmup-events", warmup, 0) : Math.Min(events.Value, 2_000_000),
                EventRate = settings.TryGetValue("--event-rate", out var rate) ? Count("--event-rate", rate, 1) : 10_000_000,
                Seed = settings.TryGetValue("--seed", out var seed) ? long.Parse(seed, NumberStyles.Integer, CultureInfo.InvariantCulture) : 42,
                ChannelCapacity = channelCapacity,
                Verbose = flags.Contains("--verbose"),
            };
            if (result.BaselineOnly && (result.WithBaseline || result.CompareOff))
            {
                throw new FormatException("--baseline runs only the baseline: drop --with-baseline and --compare-off.");
            }

            if (result.Incremental && result.CheckpointInterval is null)
            {
                throw new FormatException("--incremental needs --checkpoint-interval.");
            }

            return result;
        }
        catch (Exception e) when (e is FormatException or OverflowException or WeirConfigurationException or ArgumentException)
        {
            error.WriteLine(e.Message);
            error.WriteLine(Usage);
            return null;
        }
    }

    /// <summary>A count with an optional K, M or G suffix (decimal: 1K = 1000).</summary>
    private static long Count(string name, string value, long minimum, long maximum = long.MaxValue)
    {
        var multiplier = char.ToUpperInvariant(value[^1]) switch
        {
            'K' => 1_000L,
            'M' => 1_000_000L,
            'G' => 1_000_000_000L,
            _ => 1L,
        };
        var digits = multiplier == 1 ? value : value[..^1];
        if (!double.TryParse(digits.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            throw new FormatException($"{name}: '{value}' is not a number.");
        }

        var count = checked((long)(number * multiplier));
        return count >= minimum && count <= maximum ? count : throw new FormatException($"{name}: {value} is outside [{minimum}, {maximum}].");
    }
}
