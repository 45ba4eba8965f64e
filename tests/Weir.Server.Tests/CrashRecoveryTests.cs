using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Weir.Server.Tests;

/// <summary>
/// kill -9 of a silo process in the middle of a checkpoint, then a restart with
/// <c>--restore latest</c>: the exactly-once check over both runs finds nothing lost,
/// duplicated or out of order.
/// </summary>
public sealed partial class CrashRecoveryTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _directory = Directory.CreateTempSubdirectory("weir-crash-").FullName;

    [Fact]
    public async Task Killed_mid_checkpoint_then_restored_from_latest_loses_and_duplicates_nothing()
    {
        string[] common = ["--job", "exactly-once-check", "--parallelism", "2", "--Weir:execution.checkpointing.interval=100ms"];
        long killedAfterTriggering;
        await using (var first = ServerProcess.Start(_directory, [.. common, "--Logging:LogLevel:Weir.Checkpointing=Debug"]))
        {
            // The coordinator logs each trigger; kill right after checkpoint 5 is triggered, before it can complete.
            var line = await first.WaitForLineAsync(l => TriggerLine().Match(l) is { Success: true } m && long.Parse(m.Groups[1].Value) >= 5, "checkpoint 5 being triggered", Timeout);
            killedAfterTriggering = long.Parse(TriggerLine().Match(line).Groups[1].Value);
            first.KillHard();
            var exit = await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(137, exit);
        }

        var directories = Directory.GetDirectories(Path.Combine(_directory, "data", "checkpoints", "exactly-once-check"), "chk-*").Select(Path.GetFileName).ToArray();
        output.WriteLine($"killed with checkpoint {killedAfterTriggering} triggered; left behind: {string.Join(", ", directories)}");

        var (exitCode, text) = await ServerProcess.RunAsync(_directory, Timeout, [.. common, "--restore", "latest", "--run-for", "3s"]);
        output.WriteLine(text);
        var restored = long.Parse(RestoredLine().Match(text).Groups[1].Value);
        var verdict = text.Split('\n').Single(l => l.StartsWith("exactly-once-check:", StringComparison.Ordinal)).Trim();
        output.WriteLine($"restored from checkpoint {restored}; {verdict}");

        Assert.Equal(0, exitCode);
        // The output reaches us a little late, so the kill lands at checkpoint 5 or a few after.
        Assert.True(restored >= 1, $"restored from checkpoint {restored}");
        Assert.Contains($"chk-{restored}", directories);
        Assert.Matches(@"^exactly-once-check: records=\d+ lost=0 duplicated=0 out-of-order=0 failures=0 restarts=0$", verdict);
        Assert.True(long.Parse(Regex.Match(verdict, @"records=(\d+)").Groups[1].Value) > 0);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [GeneratedRegex(@"Triggering checkpoint (\d+) of job")]
    private static partial Regex TriggerLine();

    [GeneratedRegex(@"restored from checkpoint (\d+)")]
    private static partial Regex RestoredLine();
}
