using Weir.Benchmarks.Nexmark.Generator;
using Weir.Benchmarks.Nexmark.Queries;
using Weir.Checkpointing.Configuration;

namespace Weir.Benchmarks.Nexmark.Running;

/// <summary>The options of <c>nexmark</c>; <see cref="Parse"/> returns null (after printing why) when they are not valid.</summary>
internal sealed record NexmarkSettings
{
    public const string Usage = """
        usage: nexmark --query <q0|q1|q2|q3|q4|q5|q7|q8> --events <n> --parallelism <p> [--json <file>]
                       [--checkpoint-interval <duration, e.g. 1s; default off>] [--incremental] [--unaligned]
                       [--aligned-checkpoint-timeout <duration; with --unaligned: start aligned, turn unaligned after it>]
                       [--snapshot-write-threads <n, 1 to 64; default Weir's, 4>]
                       [--output <rows.jsonl>] [--dump-events <events.jsonl>]
                       [--baseline] [--with-baseline] [--compare-off] [--runs <n, default 1>] [--warmup-events <n>]
                       [--partitions <n, default parallelism>] [--event-rate <events per second of event time, default 10000000>]
                       [--seed <n, default 42>] [--channel-capacity <batches, default 8>] [--verbose] [--allocations]
          --baseline        only the generator, into a counting blackhole on <parallelism> threads (no Weir)
          --with-baseline   also run the baseline each run, and report the ratio
          --compare-off     also run each run with checkpoints off, and report the ratio on/off
          --verbose         print every checkpoint's trigger and completion (the coordinator's log)
          --allocations     print the types allocated most while each run was measured (allocation ticks)
        numbers take K/M/G suffixes (50M = 50,000,000).
        """;

    public required NexmarkQuery Query { get; init; }

    public required long Events { get; init; }

    public required int Parallelism { get; init; }

    public int Partitions { get; init; }

    public TimeSpan? CheckpointInterval { get; init; }

    public bool Incremental { get; init; }

    /// <summary>Unaligned checkpoints (execution.checkpointing.unaligned.enabled).</summary>
    public bool Unaligned { get; init; }

    /// <summary>state.backend.snapshot.write-threads (null: Weir's default).</summary>
    public int? SnapshotWriteThreads { get; init; }

    /// <summary>With <see cref="Unaligned"/>: execution.checkpointing.aligned-checkpoint-timeout (0: unaligned from the start).</summary>
    public TimeSpan AlignedCheckpointTimeout { get; init; }

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

    public bool Allocations { get; init; }

    private static readonly string[] Options = ["--query", "--events", "--parallelism", "--partitions", "--channel-capacity", "--checkpoint-interval", "--aligned-checkpoint-timeout", "--snapshot-write-threads", "--output", "--dump-events", "--json", "--runs", "--warmup-events", "--event-rate", "--seed"];

    private static readonly string[] Flags = ["--incremental", "--unaligned", "--baseline", "--with-baseline", "--compare-off", "--verbose", "--allocations"];

    /// <summary>The generator's configuration: the seed and the event rate.</summary>
    public GeneratorConfig Generator => new() { Seed = Seed, EventsPerSecond = EventRate };

    public static NexmarkSettings? Parse(string[] args, TextWriter error)
    {
        try
        {
            var arguments = CommandArguments.Parse(args, Options, Flags);
            if (!arguments.IsSet("--query") || !arguments.IsSet("--events") || !arguments.IsSet("--parallelism"))
            {
                throw new FormatException("--query, --events and --parallelism are required.");
            }

            var name = arguments.Text("--query")!;
            var query = NexmarkQueries.Find(name) ?? throw new FormatException($"--query: unknown query '{name}'; one of {string.Join(", ", NexmarkQueries.All.Select(q => q.Name))}.");
            var events = arguments.Count("--events", 0, 1);
            var parallelism = (int)arguments.Count("--parallelism", 0, 1, 128);
            var result = new NexmarkSettings
            {
                Query = query,
                Events = events,
                Parallelism = parallelism,
                Partitions = (int)arguments.Count("--partitions", parallelism, 1, 4096),
                CheckpointInterval = PositiveDuration("--checkpoint-interval", arguments.Text("--checkpoint-interval")),
                Incremental = arguments.Has("--incremental"),
                Unaligned = arguments.Has("--unaligned"),
                AlignedCheckpointTimeout = PositiveDuration("--aligned-checkpoint-timeout", arguments.Text("--aligned-checkpoint-timeout")) ?? TimeSpan.Zero,
                SnapshotWriteThreads = arguments.IsSet("--snapshot-write-threads") ? (int)arguments.Count("--snapshot-write-threads", 0, 1, StateOptions.MaxSnapshotWriteThreads) : null,
                BaselineOnly = arguments.Has("--baseline"),
                WithBaseline = arguments.Has("--with-baseline"),
                CompareOff = arguments.Has("--compare-off"),
                OutputPath = arguments.Text("--output"),
                DumpEventsPath = arguments.Text("--dump-events"),
                JsonPath = arguments.Text("--json") ?? Path.Combine("BenchmarkDotNet.Artifacts", "results", $"nexmark-{query.Name}.json"),
                Runs = (int)arguments.Count("--runs", 1, 1, 100),
                WarmupEvents = arguments.Count("--warmup-events", Math.Min(events, 2_000_000), 0),
                EventRate = arguments.Count("--event-rate", 10_000_000, 1),
                Seed = arguments.Whole("--seed", 42),
                ChannelCapacity = arguments.IsSet("--channel-capacity") ? (int)arguments.Count("--channel-capacity", 0, 1, 4096) : null,
                Verbose = arguments.Has("--verbose"),
                Allocations = arguments.Has("--allocations"),
            };
            if (result.BaselineOnly && (result.WithBaseline || result.CompareOff))
            {
                throw new FormatException("--baseline runs only the baseline: drop --with-baseline and --compare-off.");
            }

            if (result.Incremental && result.CheckpointInterval is null)
            {
                throw new FormatException("--incremental needs --checkpoint-interval.");
            }

            if (result.Unaligned && result.CheckpointInterval is null)
            {
                throw new FormatException("--unaligned needs --checkpoint-interval.");
            }

            if (arguments.IsSet("--aligned-checkpoint-timeout") && !result.Unaligned)
            {
                throw new FormatException("--aligned-checkpoint-timeout needs --unaligned (the timeout turns aligned checkpoints unaligned).");
            }

            // Before the runs, not after them: a path that cannot be written would lose minutes of figures.
            CheckWritable("--json", result.JsonPath);
            CheckWritable("--output", result.OutputPath);
            CheckWritable("--dump-events", result.DumpEventsPath);
            return result;
        }
        catch (FormatException e)
        {
            error.WriteLine(e.Message);
            error.WriteLine(Usage);
            return null;
        }
    }

    /// <summary>Checks that a file can be written at <paramref name="path"/>: its directory is made (as the write would), and the file opened for writing; a file that was not there is not left behind.</summary>
    private static void CheckWritable(string option, string? path)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            var full = Path.GetFullPath(path);
            if (Directory.Exists(full))
            {
                throw new FormatException($"{option}: '{path}' is a directory; give the path of a file.");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var existed = File.Exists(full);
            using (File.Open(full, FileMode.OpenOrCreate, FileAccess.Write))
            {
            }

            if (!existed)
            {
                File.Delete(full);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new FormatException($"{option}: cannot write a file at '{path}': {e.Message}", e);
        }
    }

    /// <summary>A positive duration such as 1s or 500ms; null for "off", "none" or none given.</summary>
    private static TimeSpan? PositiveDuration(string option, string? text)
    {
        if (text is null or "off" or "none")
        {
            return null;
        }

        try
        {
            var duration = FlinkDuration.Parse(text);
            return duration > TimeSpan.Zero ? duration : null;
        }
        catch (FormatException e)
        {
            throw new FormatException($"{option}: {e.Message}", e);
        }
    }
}
