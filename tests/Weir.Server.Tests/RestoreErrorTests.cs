using Xunit.Abstractions;

namespace Weir.Server.Tests;

/// <summary>Restoring from bad checkpoints: errors name the file or operator; <c>latest</c> skips a corrupt newest checkpoint.</summary>
public sealed class RestoreErrorTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly string _directory = Directory.CreateTempSubdirectory("weir-restore-").FullName;

    private string JobDirectory(string job) => Path.Combine(_directory, "data", "checkpoints", job);

    [Fact]
    public async Task Restore_latest_skips_a_corrupt_newest_checkpoint_with_a_warning_and_uses_the_next_older()
    {
        var newest = await TwoRetainedCheckpointsAsync();
        var metadata = Path.Combine(newest.Newest, "_metadata");
        File.WriteAllBytes(metadata, File.ReadAllBytes(metadata)[..^7]);

        var (exitCode, text) = await ServerProcess.RunAsync(_directory, Timeout, "--job", "exactly-once-check", "--restore", "latest", "--run-for", "2s");
        output.WriteLine(text);
        Assert.Equal(0, exitCode);
        Assert.Contains($"Skipping corrupt checkpoint {new Uri(metadata)}", text);
        Assert.Contains("truncated", text);
        Assert.Contains($"restored from checkpoint {newest.OlderId}", text);
        Assert.Contains("lost=0 duplicated=0 out-of-order=0", text);
    }

    [Fact]
    public async Task An_explicit_restore_of_truncated_metadata_fails_naming_the_file()
    {
        var checkpoint = await TwoRetainedCheckpointsAsync();
        var metadata = Path.Combine(checkpoint.Newest, "_metadata");
        File.WriteAllBytes(metadata, File.ReadAllBytes(metadata)[..10]);

        var (exitCode, text) = await ServerProcess.RunAsync(_directory, Timeout, "--job", "exactly-once-check", "--restore", checkpoint.Newest, "--run-for", "2s");
        output.WriteLine(text);
        Assert.Equal(1, exitCode);
        Assert.Contains($"Checkpoint file '{new Uri(metadata)}' is corrupt", text);
        Assert.Contains("truncated", text);
    }

    [Fact]
    public async Task A_state_file_that_fails_its_checksum_fails_the_job_naming_the_file()
    {
        var checkpoint = await TwoRetainedCheckpointsAsync();
        var stateFile = Directory.GetFiles(checkpoint.Newest).First(f => !f.EndsWith("_metadata", StringComparison.Ordinal));
        var bytes = File.ReadAllBytes(stateFile);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(stateFile, bytes);

        var (exitCode, text) = await ServerProcess.RunAsync(_directory, Timeout, "--job", "exactly-once-check", "--restore", checkpoint.Newest, "--run-for", "5s");
        output.WriteLine(text);
        Assert.Equal(1, exitCode);
        Assert.Contains("Failed", text);
        Assert.Contains(Path.GetFileName(stateFile), text);
        Assert.Contains("does not match its checksum", text);
    }

    [Fact]
    public async Task Restoring_a_checkpoint_of_another_job_fails_naming_the_operator()
    {
        var (firstExit, _) = await ServerProcess.RunAsync(_directory, Timeout, "--job", "wordcount", "--run-for", "2s");
        Assert.Equal(0, firstExit);
        var checkpoint = Directory.GetDirectories(JobDirectory("wordcount"), "chk-*").First(c => File.Exists(Path.Combine(c, "_metadata")));

        var (exitCode, text) = await ServerProcess.RunAsync(_directory, Timeout, "--job", "exactly-once-check", "--restore", checkpoint, "--run-for", "2s");
        output.WriteLine(text);
        Assert.Equal(1, exitCode);
        Assert.Contains("holds state of operator", text);
        Assert.Contains("uid 'count'", text);
        Assert.Contains("which this job does not have", text);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<(string Newest, long OlderId)> TwoRetainedCheckpointsAsync()
    {
        var (exitCode, text) = await ServerProcess.RunAsync(
            _directory,
            Timeout,
            "--job",
            "exactly-once-check",
            "--run-for",
            "2s",
            "--Weir:execution.checkpointing.interval=200ms",
            "--Weir:execution.checkpointing.num-retained=2");
        Assert.True(exitCode == 0, text);
        var retained = Directory.GetDirectories(JobDirectory("exactly-once-check"), "chk-*")
            .Where(c => File.Exists(Path.Combine(c, "_metadata")))
            .OrderBy(c => long.Parse(Path.GetFileName(c)["chk-".Length..]))
            .ToArray();
        // Two retained checkpoints and the savepoint taken at stop.
        Assert.True(retained.Length >= 2, string.Join(", ", retained));
        return (retained[^1], long.Parse(Path.GetFileName(retained[^2])["chk-".Length..]));
    }
}
