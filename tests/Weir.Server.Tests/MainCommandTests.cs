using Xunit.Abstractions;

namespace Weir.Server.Tests;

/// <summary>The main command as a user runs it: a real process, its output, its exit code, its checkpoint directory.</summary>
public sealed class MainCommandTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly string _directory = Directory.CreateTempSubdirectory("weir-server-").FullName;

    [Fact]
    public async Task Wordcount_runs_on_the_embedded_defaults_shows_progress_and_retains_its_checkpoint()
    {
        var (exitCode, text) = await ServerProcess.RunAsync(_directory, Timeout, "--job", "wordcount", "--run-for", "3s");
        output.WriteLine(text);

        Assert.Equal(0, exitCode);
        Assert.Contains("records/s", text);
        Assert.Contains("last checkpoint", text);
        Assert.Contains("Job 'wordcount' Canceled", text);
        var checkpoints = Directory.GetDirectories(Path.Combine(_directory, "data", "checkpoints", "wordcount"), "chk-*");
        Assert.Contains(checkpoints, c => File.Exists(Path.Combine(c, "_metadata")));

        var (listExit, list) = await ServerProcess.RunAsync(_directory, Timeout, "checkpoints", "list", "--dir", "data/checkpoints");
        output.WriteLine(list);
        Assert.Equal(0, listExit);
        Assert.Matches(@"wordcount\s+chk-\d+\s+\d{4}-\d\d-\d\d [\d:]+Z\s+[\d.]+ KB\s+\d+ files\s+retained", list);

        var retained = checkpoints.First(c => File.Exists(Path.Combine(c, "_metadata")));
        var (inspectExit, inspect) = await ServerProcess.RunAsync(_directory, Timeout, "checkpoints", "inspect", retained);
        output.WriteLine(inspect);
        Assert.Equal(0, inspectExit);
        Assert.Contains("operator 'count' (uid count): parallelism 1, max parallelism 128", inspect);
        Assert.Contains("subtask 0: key groups [0, 128)", inspect);
        Assert.Contains("source-splits (8 items", inspect);
    }

    [Fact]
    public async Task An_unknown_job_lists_the_built_in_jobs()
    {
        var (exitCode, text) = await ServerProcess.RunAsync(_directory, Timeout, "--job", "no-such-job");
        Assert.Equal(2, exitCode);
        Assert.Contains("Unknown job 'no-such-job'", text);
        Assert.Contains("wordcount", text);
        Assert.Contains("exactly-once-check", text);
    }

    [Fact]
    public async Task A_bad_configuration_value_stops_start_up_naming_key_value_and_what_is_allowed()
    {
        var (exitCode, text) = await ServerProcess.RunAsync(_directory, Timeout, "--job", "wordcount", "--Weir:execution.checkpointing.interval=soon", "--Weir:execution.checkpointing.mode=SOMETIMES");
        Assert.Equal(2, exitCode);
        Assert.Contains("execution.checkpointing.interval = 'soon' is not valid", text);
        Assert.Contains("500ms", text);
        Assert.Contains("execution.checkpointing.mode = 'SOMETIMES' is not valid", text);
        Assert.Contains("EXACTLY_ONCE", text);
    }

    [Fact]
    public async Task Unaligned_checkpoints_with_at_least_once_stop_start_up_naming_both_keys()
    {
        var (exitCode, text) = await ServerProcess.RunAsync(_directory, Timeout, "--job", "wordcount", "--Weir:execution.checkpointing.unaligned.enabled=true", "--Weir:execution.checkpointing.mode=AT_LEAST_ONCE");
        Assert.Equal(2, exitCode);
        Assert.Contains("execution.checkpointing.unaligned.enabled = 'true' is not valid with execution.checkpointing.mode = 'AT_LEAST_ONCE'", text);
        Assert.Contains("Allowed: false, or mode EXACTLY_ONCE", text);
    }

    [Fact]
    public async Task A_bad_command_line_option_is_named_with_the_usage()
    {
        var (exitCode, text) = await ServerProcess.RunAsync(_directory, Timeout, "--run-for", "forever");
        Assert.Equal(2, exitCode);
        Assert.Contains("--run-for 'forever' is not valid", text);
        Assert.Contains("Usage:", text);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
