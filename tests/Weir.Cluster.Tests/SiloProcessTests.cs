using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Cluster.TestSilo;
using Weir.Grains;
using Weir.Grains.Membership;
using Xunit.Abstractions;

namespace Weir.Cluster.Tests;

/// <summary>
/// Silos in separate processes, joined through the file table in a shared directory, with the
/// default failure-detection settings: one process is killed with SIGKILL (kill -9), the others
/// declare it dead within 10 s and its grains activate on them; a new process on its place joins
/// and takes activations.
/// </summary>
public sealed class SiloProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "weir-processes-" + Guid.NewGuid().ToString("N"));
    private readonly string _clusterId = "procs-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<SiloProcess> _processes = [];
    private IHost? _observer;

    [Fact]
    public async Task AKilledSiloProcessIsDeclaredDeadWithinTenSecondsAndAReplacementTakesActivations()
    {
        // One silo here and two processes, all joining the file table at once.
        var observerStart = StartObserverAsync();
        var starting = new[] { SiloProcess.StartAsync(_clusterId, _directory, "p1"), SiloProcess.StartAsync(_clusterId, _directory, "p2") };
        _processes.AddRange(await Task.WhenAll(starting));
        var observer = await observerStart;
        var runtime = observer.Services.GetRequiredService<GrainRuntime>();
        var grains = observer.Services.GetRequiredService<IGrainFactory>();
        await Eventually.Until(() => runtime.Placement.Ring.Silos.Count == 3, "the observer to see three active silos", TimeSpan.FromSeconds(30));
        var (victim, survivor) = (_processes[0], _processes[1]);
        var key = KeyOwnedBy(runtime, victim.Silo);
        Assert.Equal(victim.ProcessId, await grains.GetGrain<IProcessGrain>(key).ProcessIdAsync());

        var killed = Stopwatch.StartNew();
        victim.Kill();

        var failure = await Assert.ThrowsAsync<SiloUnavailableException>(() => grains.GetGrain<IProcessGrain>(key).ProcessIdAsync());
        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(2), $"the call to the killed silo failed after {killed.Elapsed}: {failure.Message}");
        await Eventually.Until(() => runtime.Cluster!.Membership.Snapshot.StatusOf(victim.Silo) == SiloStatus.Dead, "the killed silo to be declared dead", TimeSpan.FromSeconds(10));
        var declaredAfter = killed.Elapsed;
        Assert.True(declaredAfter < TimeSpan.FromSeconds(10), $"declared dead after {declaredAfter}");
        output.WriteLine($"kill -9 of {victim.Silo}: a call failed after {failure.GetType().Name} at once; declared dead after {declaredAfter.TotalSeconds:F2} s (default settings: probe every 1 s, 3 misses, 2 votes)");
        Assert.Contains(await grains.GetGrain<IProcessGrain>(key).ProcessIdAsync(), new[] { Environment.ProcessId, survivor.ProcessId });

        // A new process in its place joins and receives activations.
        var replacement = await SiloProcess.StartAsync(_clusterId, _directory, "p1");
        _processes.Add(replacement);
        await Eventually.Until(() => runtime.Placement.Ring.Silos.Contains(replacement.Silo) && runtime.Placement.Ring.Silos.Count == 3, "the replacement to join", TimeSpan.FromSeconds(30));
        Assert.Equal(replacement.ProcessId, await grains.GetGrain<IProcessGrain>(KeyOwnedBy(runtime, replacement.Silo)).ProcessIdAsync());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime: xUnit 2 does not dispose a test class through IAsyncDisposable.
    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        if (_observer is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _observer.StopAsync(timeout.Token);
            _observer.Dispose();
        }

        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static string KeyOwnedBy(GrainRuntime runtime, SiloAddress silo)
    {
        for (var i = 0; ; i++)
        {
            if (runtime.Placement.OwnerOf(new GrainId("process", $"k{i}")).Equals(silo))
            {
                return $"k{i}";
            }
        }
    }

    private async Task<IHost> StartObserverAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddWeirSilo(o =>
        {
            o.SiloName = "observer";
            o.Cluster.ClusterId = _clusterId;
            o.Cluster.MembershipDirectory = _directory;
            o.Cluster.SiloPort = 0;
        }).AddGrains(typeof(ProcessGrain).Assembly);
        _observer = builder.Build();
        await _observer.StartAsync();
        return _observer;
    }

    /// <summary>A Weir.Cluster.TestSilo child process.</summary>
    private sealed class SiloProcess : IDisposable
    {
        private readonly Process _process;

        private SiloProcess(Process process, SiloAddress silo)
        {
            _process = process;
            Silo = silo;
        }

        public SiloAddress Silo { get; }

        public int ProcessId => _process.Id;

        public static async Task<SiloProcess> StartAsync(string clusterId, string directory, string name)
        {
            var dll = Path.ChangeExtension(typeof(ProcessGrain).Assembly.Location, ".dll");
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardInput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in (string[])[dll, clusterId, directory, name])
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
            var output = new System.Text.StringBuilder();
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
                if (line is null)
                {
                    throw new InvalidOperationException($"Silo process {name} exited before it was ready: {output}{await process.StandardError.ReadToEndAsync()}");
                }

                output.AppendLine(line);
                if (line.StartsWith("READY ", StringComparison.Ordinal))
                {
                    _ = process.StandardOutput.ReadToEndAsync();
                    _ = process.StandardError.ReadToEndAsync();
                    return new SiloProcess(process, SiloAddress.Parse(line.Split(' ')[1]));
                }
            }
        }

        /// <summary>SIGKILL: the process gets no chance to leave the table or close its sockets itself.</summary>
        public void Kill() => _process.Kill(entireProcessTree: true);

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }

            _process.Dispose();
        }
    }
}
