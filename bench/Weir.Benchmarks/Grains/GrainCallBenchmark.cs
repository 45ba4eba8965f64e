using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Hosting;
using Weir.Grains;

namespace Weir.Benchmarks.Grains;

public interface IPingGrain : IGrainWithIntegerKey
{
    Task<int> PingAsync(int value);
}

public sealed class PingGrain : Grain, IPingGrain
{
    public Task<int> PingAsync(int value) => Task.FromResult(value + 1);
}

/// <summary>
/// Grain call round trips from concurrent callers: <see cref="Callers"/> tasks, each making
/// sequential calls to its own grain (so activations run in parallel on both cores).
/// One operation = one call; calls/s = 1e9 / (ns per operation).
/// </summary>
[MemoryDiagnoser]
public class GrainCallBenchmark
{
    private const int CallsPerCaller = 2_000;
    private IHost _host = null!;
    private IPingGrain[] _grains = [];

    [Params(64)]
    public int Callers { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _host = await BenchSilo.StartAsync();
        _grains = Enumerable.Range(0, Callers).Select(i => _host.Grains().GetGrain<IPingGrain>(i)).ToArray();
        await Task.WhenAll(_grains.Select(g => g.PingAsync(0)));
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    [Benchmark(OperationsPerInvoke = 64 * CallsPerCaller)]
    public Task ConcurrentCalls() => Task.WhenAll(_grains.Select(CallMany));

    private static async Task CallMany(IPingGrain grain)
    {
        await Task.Yield();
        var value = 0;
        for (var i = 0; i < CallsPerCaller; i++)
        {
            value = await grain.PingAsync(value);
        }
    }
}
