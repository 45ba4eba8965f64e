using System.Text.RegularExpressions;
using Weir.Checkpointing.Metadata;
using Xunit.Abstractions;

namespace Weir.Server.Tests;

/// <summary>
/// Three silo processes in a file-based cluster, a job submitted through a gateway with the grain
/// client, and <c>kill -9</c> of a silo that runs some of its subtasks: the job restarts from its
/// latest checkpoint on the other two and the exactly-once check finds nothing lost, duplicated or
/// out of order. The killed silo, started again, rejoins and takes activations of the next run.
/// And a job restored from another job's checkpoint in another directory, whose job master's or
/// coordinator's silo is killed before the job's first checkpoint: it restarts from that checkpoint.
/// And the first case with unaligned checkpoints, whose barriers overtake records between silos, from
/// the start or after an alignment timeout.
/// </summary>
public sealed partial class ClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _directory = Directory.CreateTempSubdirectory("weir-cluster-").FullName;
    private readonly List<ServerProcess> _processes = [];

    [Fact]
    public async Task Killing_a_silo_mid_run_restarts_the_job_on_the_others_exactly_once_and_a_restarted_silo_takes_new_activations()
    {
        var (silos, ports, gateways) = await StartThreeSilosAsync();
        string[] job = ["--job", "exactly-once-check", "--Weir:execution.checkpointing.interval=200ms"];
        var submit = Start(["submit", .. gateways, .. job, "--parallelism", "6", "--run-for", "15s"]);

        // Placement hashes the 18 subtasks over the ring, so which silos run some differs from run to run.
        var victim = await KillASiloRunningSubtasksAsync(silos);

        var exit = await submit.WaitForExitAsync(Timeout);
        output.WriteLine(submit.Output);
        var verdict = Verdict(submit.Output);
        output.WriteLine($"first run: {verdict}");
        Assert.Equal(0, exit);
        AssertExactlyOnce(verdict);
        Assert.True(Count(verdict, "restarts") >= 1, $"the job did not restart after its silo died: {verdict}");

        // The killed silo comes back on the same ports, joins again, and the next run places subtasks on it.
        var rejoined = await StartSiloAsync(ports[2 * victim], ports[(2 * victim) + 1]);
        var address = JoinedLine().Match(rejoined.Output).Groups[1].Value;
        await Eventually.Until(() => silos.Where((_, i) => i != victim).All(silo => silo.Output.Contains($"{address} Active", StringComparison.Ordinal)), $"the other silos seeing {address} active", Timeout);
        // At twice the parallelism (rescaled from the checkpoint): 36 subtasks, so placement all but surely puts some on it.
        var (exitAgain, text) = await RunAsync(["submit", .. gateways, .. job, "--parallelism", "12", "--restore", "latest", "--run-for", "4s"]);
        output.WriteLine(text);
        var second = Verdict(text);
        output.WriteLine($"second run (restored): {second}");
        Assert.Equal(0, exitAgain);
        AssertExactlyOnce(second);
        Assert.True(Count(second, "records") > Count(verdict, "records"), "the restored run's verdict covers the first run too");
        await rejoined.WaitForLineAsync(l => l.Contains("deployed on this silo", StringComparison.Ordinal), "a subtask deployed on the rejoined silo", TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("job master", "Job restored attempt 0 deployed")]
    [InlineData("checkpoint coordinator", "Checkpoint coordinator of job restored holds its lease")]
    public async Task A_job_restored_from_a_checkpoint_in_another_directory_continues_from_it_when_a_silo_dies_before_its_own_first_checkpoint(string grain, string line)
    {
        var (silos, _, gateways) = await StartThreeSilosAsync();
        string[] job = ["--job", "exactly-once-check", "--parallelism", "4"];

        // The origin: another job, unthrottled, checkpointing into another directory, stopped with a final checkpoint there.
        var elsewhere = Path.Combine(_directory, "elsewhere");
        var (exit, text) = await RunAsync(["submit", .. gateways, .. job, "--job-id", "origin", $"--Weir:execution.checkpointing.dir={elsewhere}", "--Weir:execution.checkpointing.interval=200ms", "--run-for", "3s"]);
        output.WriteLine(text);
        Assert.Equal(0, exit);
        var origin = Verdict(text);
        AssertExactlyOnce(origin);
        var restorePath = CompletedCheckpoints(Path.Combine(elsewhere, "origin")).OrderBy(d => int.Parse(Path.GetFileName(d)[4..], System.Globalization.CultureInfo.InvariantCulture)).Last();

        // The job restored from it, throttled so that what it adds stays small, for 14 s: it had restarted 3.3 s in,
        // whichever silo was killed, in the runs that ran it 25 s. Its first periodic checkpoint waits at
        // least the min pause (10 min), so it has none of its own when the silo of its job master is killed (the job
        // master taking over has only the job's record to go by) or that of its checkpoint coordinator (the one
        // activated again remembers no checkpoint, and there is none in the job's directory).
        var submit = Start(["submit", .. gateways, .. job, "--job-id", "restored", "--restore", restorePath, "--rate", "200", "--Weir:execution.checkpointing.interval=1h", "--Weir:execution.checkpointing.min-pause=10min", "--run-for", "14s"]);
        const string Deployed = "Job restored attempt 0 deployed";
        await Eventually.Until(() => silos.Any(silo => silo.Output.Contains(Deployed, StringComparison.Ordinal)), "the job master's deployment line", Timeout);

        // Each silo's console logger writes from its own queue: the coordinator's lease line may come after the deployment line.
        await Eventually.Until(() => silos.Any(silo => silo.Output.Contains(line, StringComparison.Ordinal)), $"the {grain}'s line", Timeout);
        var host = silos.Single(silo => silo.Output.Contains(line, StringComparison.Ordinal));
        Assert.Empty(CompletedCheckpoints(Path.Combine(_directory, "data", "checkpoints", "restored")));
        var both = host.Output.Contains(Deployed, StringComparison.Ordinal) && host.Output.Contains("Checkpoint coordinator of job restored holds its lease", StringComparison.Ordinal);
        host.KillHard();
        Assert.Equal(137, await host.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        output.WriteLine($"killed the {grain}'s silo (pid {host.Id}; it ran both the job master and the coordinator: {both}) before the restored job's first checkpoint");

        Assert.Equal(0, await submit.WaitForExitAsync(Timeout));
        output.WriteLine(submit.Output);
        var restored = Verdict(submit.Output);
        output.WriteLine($"origin: {origin}; restored, then restarted: {restored}");
        AssertExactlyOnce(restored);
        Assert.True(Count(restored, "restarts") >= 1, $"the job did not restart after the {grain}'s silo died: {restored}");
        Assert.True(Count(restored, "records") > Count(origin, "records"), $"the restart did not start from the origin's checkpoint: {restored} against {origin}");
    }

    [Theory]
    [InlineData("0ms")] // unaligned from the start
    [InlineData("20ms")] // aligned first; barriers that wait longer overtake, across silos too
    public async Task With_unaligned_checkpoints_across_silos_killing_a_silo_restarts_the_job_exactly_once(string alignmentTimeout)
    {
        var (silos, _, gateways) = await StartThreeSilosAsync();
        var submit = Start(["submit", .. gateways, "--job", "exactly-once-check", "--parallelism", "4", "--Weir:execution.checkpointing.interval=200ms", "--Weir:execution.checkpointing.unaligned.enabled=true", $"--Weir:execution.checkpointing.aligned-checkpoint-timeout={alignmentTimeout}", "--run-for", "10s"]);
        await KillASiloRunningSubtasksAsync(silos);

        var exit = await submit.WaitForExitAsync(Timeout);
        output.WriteLine(submit.Output);
        var verdict = Verdict(submit.Output);
        var inFlight = CompletedCheckpoints()
            .Select(d => MetadataSerializer.Deserialize(File.ReadAllBytes(Path.Combine(d, "_metadata")), d))
            .Select(m => m.Operators.SelectMany(o => o.Subtasks).SelectMany(t => t.ChannelState).Sum(c => c.Length))
            .ToArray();
        output.WriteLine($"{verdict}; channel state of the checkpoints left: {string.Join(", ", inFlight)} bytes");
        Assert.Equal(0, exit);
        AssertExactlyOnce(verdict);
        Assert.True(Count(verdict, "restarts") >= 1, $"the job did not restart after its silo died: {verdict}");
        if (alignmentTimeout != "0ms")
        {
            // Whether a barrier waited past the timeout depends on the run: exactly-once is what must hold.
            return;
        }

        Assert.True(inFlight.Any(bytes => bytes > 0), "no checkpoint left holds records in flight: the barriers overtook nothing");

        // `checkpoints inspect` shows them per subtask.
        var unaligned = CompletedCheckpoints()[Array.FindIndex(inFlight, bytes => bytes > 0)];
        var (inspectExit, inspect) = await RunAsync(["checkpoints", "inspect", unaligned]);
        output.WriteLine(inspect);
        Assert.Equal(0, inspectExit);
        Assert.Matches(@"in flight: \d+ input channels? \(", inspect);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable: xUnit 2 disposes test classes only through these, and a
    // silo left running would outlive the test run.
    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            // What each process said last, for the report of a failed run.
            var lines = process.Output.Split('\n');
            output.WriteLine($"--- process {process.Id}, last lines:\n{string.Join('\n', lines.TakeLast(40))}");
            await process.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>
    /// Once a checkpoint of exactly-once-check completed, kills (-9) a silo that runs subtasks of the job: one without
    /// its job master and checkpoint coordinator if there is one (their failover is another test's), else any.
    /// </summary>
    private async Task<int> KillASiloRunningSubtasksAsync(ServerProcess[] silos)
    {
        const string Deployed = "Job exactly-once-check attempt 0 deployed";
        const string LeaseHeld = "Checkpoint coordinator of job exactly-once-check holds its lease";
        await Eventually.Until(() => silos.Any(silo => silo.Output.Contains(Deployed, StringComparison.Ordinal)), "the job master's deployment line", Timeout);
        await Eventually.Until(() => silos.Any(silo => silo.Output.Contains(LeaseHeld, StringComparison.Ordinal)), "the checkpoint coordinator's lease line", Timeout);
        await Eventually.Until(() => CompletedCheckpoints().Length > 0, "a completed checkpoint", Timeout);
        var runningSubtasks = Enumerable.Range(0, silos.Length).Where(i => silos[i].Output.Contains("deployed on this silo", StringComparison.Ordinal)).ToArray();
        var victim = runningSubtasks
            .OrderBy(i => silos[i].Output.Contains(Deployed, StringComparison.Ordinal) || silos[i].Output.Contains(LeaseHeld, StringComparison.Ordinal))
            .First();
        silos[victim].KillHard();
        Assert.Equal(137, await silos[victim].WaitForExitAsync(TimeSpan.FromSeconds(10)));
        output.WriteLine($"killed silo {victim + 1} of {silos.Length} (pid {silos[victim].Id}; silos running subtasks: {string.Join(", ", runningSubtasks.Select(i => i + 1))}) with {CompletedCheckpoints().Length} checkpoint(s) completed");
        return victim;
    }

    private static void AssertExactlyOnce(string verdict) =>
        Assert.Matches(@"^exactly-once-check: records=[1-9]\d* lost=0 duplicated=0 out-of-order=0 failures=\d+ restarts=\d+$", verdict);

    private static string Verdict(string text) =>
        text.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("exactly-once-check:", StringComparison.Ordinal))
        ?? throw new Xunit.Sdk.XunitException($"No exactly-once-check line in the output:\n{text}");

    private static long Count(string verdict, string name) => long.Parse(Regex.Match(verdict, $@"\b{name}=(\d+)").Groups[1].Value);

    [GeneratedRegex(@"Silo (\S+) joined cluster")]
    private static partial Regex JoinedLine();

    private string[] CompletedCheckpoints() => CompletedCheckpoints(Path.Combine(_directory, "data", "checkpoints", "exactly-once-check"));

    private static string[] CompletedCheckpoints(string job) =>
        Directory.Exists(job) ? Directory.GetDirectories(job, "chk-*").Where(d => File.Exists(Path.Combine(d, "_metadata"))).ToArray() : [];

    /// <summary>Three silos on free loopback ports (silo i on ports[2i], its gateway on ports[2i + 1]), and the submit command's gateway options.</summary>
    private async Task<(ServerProcess[] Silos, int[] Ports, string[] Gateways)> StartThreeSilosAsync()
    {
        var ports = LoopbackPorts.Free(6);
        var silos = new ServerProcess[3];
        for (var i = 0; i < 3; i++)
        {
            silos[i] = await StartSiloAsync(ports[2 * i], ports[(2 * i) + 1]);
        }

        return (silos, ports, ["--gateway", $"127.0.0.1:{ports[1]}", "--gateway", $"127.0.0.1:{ports[3]}", "--gateway", $"127.0.0.1:{ports[5]}"]);
    }

    private async Task<ServerProcess> StartSiloAsync(int siloPort, int gatewayPort)
    {
        var silo = Start(["--cluster-dir", Path.Combine(_directory, "cluster"), "--silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}", "--Logging:LogLevel:Weir.Grains=Information", "--Logging:LogLevel:Weir.Checkpointing.Coordinator.CoordinatorLease=Information"]);
        await silo.WaitForLineAsync(l => l.Contains("joined cluster", StringComparison.Ordinal), $"the silo on port {siloPort} joining", Timeout);
        return silo;
    }

    private ServerProcess Start(string[] arguments)
    {
        var process = ServerProcess.Start(_directory, arguments);
        _processes.Add(process);
        return process;
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string[] arguments)
    {
        var process = Start(arguments);
        return (await process.WaitForExitAsync(Timeout), process.Output);
    }
}
