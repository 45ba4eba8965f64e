using System.Globalization;
using Weir.Checkpointing.Configuration;

namespace Weir.Server.Cli;

/// <summary>
/// The command line: a verb (none = run a job; <c>checkpoints list|inspect</c>) and its options.
/// Arguments of the form <c>--Weir:key=value</c> are configuration overrides and are left to the
/// configuration system; everything else must be known here.
/// </summary>
internal sealed record ServerArguments
{
    public string Verb { get; init; } = "run";

    public string? SubVerb { get; init; }

    public string? Path { get; init; }

    public string? JobName { get; init; }

    public string? JobId { get; init; }

    public TimeSpan? RunFor { get; init; }

    public string? Restore { get; init; }

    public TimeSpan? FailEvery { get; init; }

    public int? Parallelism { get; init; }

    public double? Rate { get; init; }

    public int Seed { get; init; } = 42;

    public int? Partitions { get; init; }

    public string? Directory { get; init; }

    public bool Help { get; init; }

    /// <summary>The <c>--Weir:key=value</c> overrides, passed on to a cluster with a submitted job.</summary>
    public IReadOnlyList<(string Key, string Value)> Settings { get; init; } = [];

    public string? ClusterDirectory { get; init; }

    public string ClusterId { get; init; } = "weir";

    public int? SiloPort { get; init; }

    public int? GatewayPort { get; init; }

    public IReadOnlyList<string> Gateways { get; init; } = [];

    /// <summary>True when this process joins a cluster as a silo.</summary>
    public bool IsClusterSilo => ClusterDirectory is not null;

    public const string Usage = """
        Usage:
          Weir.Server [--job <name>] [--run-for <duration>] [--restore <path>|latest] [--parallelism <p>]
                      [--rate <records/s>] [--fail-every <duration>] [--job-id <id>] [--seed <n>] [--Weir:<key>=<value> ...]
          Weir.Server --cluster-dir <dir> --silo-port <p> --gateway-port <g> [--cluster-id <id>]
                      (a silo joining the cluster whose membership table is in <dir>; runs until Ctrl+C)
          Weir.Server submit --gateway <host:port> --job <name> [--parallelism <p>] [--run-for <duration>] [--Weir:<key>=<value> ...]
          Weir.Server checkpoints list --dir <dir or URI>
          Weir.Server checkpoints inspect <chk-n directory or _metadata>

        Durations use Flink's forms: 500ms, 30s, 10min. Configuration keys are Flink's, e.g.
          --Weir:execution.checkpointing.interval=1s --Weir:execution.checkpointing.mode=AT_LEAST_ONCE
        """;

    /// <exception cref="ArgumentException">An argument is unknown or its value malformed; the message says which and what is allowed.</exception>
    public static ServerArguments Parse(IReadOnlyList<string> args)
    {
        var result = new ServerArguments();
        var positional = new List<string>();
        var settings = new List<(string, string)>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--Weir:", StringComparison.OrdinalIgnoreCase) || arg.StartsWith("--Logging:", StringComparison.OrdinalIgnoreCase))
            {
                var setting = arg.Contains('=') ? arg[2..]
                    : i + 1 < args.Count ? $"{arg[2..]}={args[++i]}"
                    : throw new ArgumentException($"{arg} needs a value: {arg}=<value> or {arg} <value>.");
                if (arg.StartsWith("--Weir:", StringComparison.OrdinalIgnoreCase) && setting.IndexOf('=') is var separator and > 0)
                {
                    settings.Add((setting["Weir:".Length..separator], setting[(separator + 1)..]));
                }

                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(arg);
                continue;
            }

            var (name, inlineValue) = arg.IndexOf('=') is var eq and > 0 ? (arg[2..eq], arg[(eq + 1)..]) : (arg[2..], null);
            string Value()
            {
                if (inlineValue is not null)
                {
                    return inlineValue;
                }

                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"--{name} needs a value.");
                }

                return args[++i];
            }

            result = name.ToLowerInvariant() switch
            {
                "job" => result with { JobName = Value() },
                "job-id" => result with { JobId = Value() },
                "run-for" => result with { RunFor = Duration(name, Value()) },
                "restore" => result with { Restore = Value() },
                "fail-every" => result with { FailEvery = Duration(name, Value()) },
                "parallelism" => result with { Parallelism = Integer(name, Value(), min: 1) },
                "partitions" => result with { Partitions = Integer(name, Value(), min: 1) },
                "rate" => result with { Rate = Positive(name, Value()) },
                "seed" => result with { Seed = Integer(name, Value(), min: int.MinValue) },
                "dir" => result with { Directory = Value() },
                "cluster-dir" => result with { ClusterDirectory = Value() },
                "cluster-id" => result with { ClusterId = Value() },
                "silo-port" => result with { SiloPort = Integer(name, Value(), min: 0) },
                "gateway-port" => result with { GatewayPort = Integer(name, Value(), min: 0) },
                "gateway" => result with { Gateways = [.. result.Gateways, Value()] },
                "help" or "h" => result with { Help = true },
                _ => throw new ArgumentException($"Unknown option --{name}. Configuration keys go as --Weir:<key>=<value>."),
            };
        }

        result = result with { Settings = settings };
        if (positional is ["submit", ..])
        {
            if (result.Gateways.Count == 0)
            {
                throw new ArgumentException("'submit' needs --gateway <host:port> of a silo's gateway.");
            }

            return result with { Verb = "submit" };
        }

        if (result.IsClusterSilo && (result.SiloPort is null || result.GatewayPort is null))
        {
            throw new ArgumentException("A cluster silo needs --silo-port <p> and --gateway-port <g> with --cluster-dir <dir>.");
        }

        if (positional.Count > 0)
        {
            if (positional[0] != "checkpoints")
            {
                throw new ArgumentException($"Unknown command '{positional[0]}': the commands are 'submit', 'checkpoints list' and 'checkpoints inspect' (or none, to run a job or a cluster silo).");
            }

            if (positional.Count < 2 || positional[1] is not ("list" or "inspect"))
            {
                throw new ArgumentException("'checkpoints' needs 'list --dir <dir>' or 'inspect <path>'.");
            }

            result = result with { Verb = "checkpoints", SubVerb = positional[1], Path = positional.ElementAtOrDefault(2) };
            if (result.SubVerb == "list" && result.Directory is null)
            {
                throw new ArgumentException("'checkpoints list' needs --dir <checkpoint directory or URI>.");
            }

            if (result.SubVerb == "inspect" && result.Path is null)
            {
                throw new ArgumentException("'checkpoints inspect' needs the path of a chk-<n> directory or its _metadata.");
            }
        }

        return result;
    }

    private static TimeSpan Duration(string name, string value) =>
        FlinkDuration.TryParse(value, out var duration) && duration > TimeSpan.Zero
            ? duration
            : throw new ArgumentException($"--{name} '{value}' is not valid: expected a positive duration such as 500ms, 30s or 10min.");

    private static int Integer(string name, string value, int min) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= min
            ? number
            : throw new ArgumentException($"--{name} '{value}' is not valid: expected an integer of at least {min}.");

    private static double Positive(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new ArgumentException($"--{name} '{value}' is not valid: expected a positive number.");
}
