namespace Weir.Benchmarks;

/// <summary>
/// A measurement that runs as a subcommand of the benchmark console
/// (<c>dotnet run -c Release --project bench/Weir.Benchmarks -- &lt;name&gt; [options]</c>) instead
/// of through BenchmarkDotNet: end-to-end figures that need a server or minutes of data.
/// </summary>
internal interface IBenchCommand
{
    /// <summary>The subcommand's name, the first argument.</summary>
    string Name { get; }

    /// <summary>One line for the list of subcommands.</summary>
    string Description { get; }

    /// <summary>Runs with the arguments after the name; returns the exit code.</summary>
    Task<int> RunAsync(string[] args);
}

/// <summary>The subcommands; add one here to make it runnable.</summary>
internal static class BenchCommands
{
    public static IReadOnlyList<IBenchCommand> All { get; } = [new AzureUpload.AzureUploadCommand(), new Nexmark.NexmarkCommand(), new Cluster.ClusterLatencyCommand(), new Incremental.IncrementalCommand()];

    public static IBenchCommand? Find(string name) => All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

    public static string Describe() => string.Join(Environment.NewLine, All.Select(c => $"  {c.Name,-16} {c.Description}"));
}
