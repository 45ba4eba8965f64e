using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Weir.Benchmarks.Grains;
using Weir.Client;

namespace Weir.Benchmarks.Cluster;

/// <summary>
/// Grain call latency per call (p50, p90, p99, p99.9) in a two-silo cluster over loopback TCP:
/// a call within a silo, a call to a grain on the other silo, and calls from a grain client
/// through a gateway (to a grain on the gateway's silo, and forwarded to the other silo). One
/// call outstanding at a time, each timed alone; then the throughput of 64 concurrent callers
/// across silos. Writes <c>BenchmarkDotNet.Artifacts/results/cluster-latency.json</c>.
/// </summary>
internal sealed class ClusterLatencyCommand : IBenchCommand
{
    public string Name => "cluster-latency";

    public string Description => "grain call latency p50/p99 within a silo, across silos and from a client (--calls N)";

    public async Task<int> RunAsync(string[] args)
    {
        int calls;
        try
        {
            calls = CommandArguments.Parse(args, ["--calls"]).Integer("--calls", 20_000, 1);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine("usage: cluster-latency [--calls <n >= 1, default 20000>]");
            return 2;
        }

        await using var cluster = await BenchCluster.StartAsync(2);
        var options = new WeirClientOptions { ClusterId = cluster.ClusterId };
        options.Gateways.Add(cluster.Runtime(0).Cluster!.GatewayEndpoint!.ToString());
        await using var client = new WeirClient(options);
        await client.ConnectAsync();

        var local = cluster.Grains(0).GetGrain<IPingGrain>(cluster.KeyOwnedBy(0, "ping"));
        var remote = cluster.Grains(0).GetGrain<IPingGrain>(cluster.KeyOwnedBy(1, "ping"));
        var viaGateway = client.GetGrain<IPingGrain>(cluster.KeyOwnedBy(0, "ping", 1_000));
        var forwarded = client.GetGrain<IPingGrain>(cluster.KeyOwnedBy(1, "ping", 1_000));

        var results = new List<LatencyResult>
        {
            await MeasureAsync("within one silo", local, calls),
            await MeasureAsync("across silos (silo to silo, TCP)", remote, calls),
            await MeasureAsync("client -> gateway, grain on the gateway's silo", viaGateway, calls),
            await MeasureAsync("client -> gateway -> other silo (forwarded)", forwarded, calls),
        };

        var throughput = await ConcurrentThroughputAsync(cluster, callers: 64, callsPerCaller: Math.Max(100, calls / 20));
        Console.WriteLine($"64 concurrent callers on silo 0, grains on silo 1: {throughput:N0} calls/s");
        var path = Path.Combine("BenchmarkDotNet.Artifacts", "results", "cluster-latency.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new { calls, results, concurrentCallsPerSecond = throughput }, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Wrote {path}");
        return 0;
    }

    private static async Task<LatencyResult> MeasureAsync(string name, IPingGrain grain, int calls)
    {
        for (var i = 0; i < Math.Max(1_000, calls / 10); i++)
        {
            await grain.PingAsync(i);
        }

        var samples = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await grain.PingAsync(i);
            samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        Array.Sort(samples);
        var result = new LatencyResult(name, calls, samples.Average(), At(samples, 0.50), At(samples, 0.90), At(samples, 0.99), At(samples, 0.999), samples[^1]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-50} mean {result.MeanMicroseconds,8:F1} us  p50 {result.P50,8:F1}  p90 {result.P90,8:F1}  p99 {result.P99,8:F1}  p99.9 {result.P999,8:F1}  max {result.Max,9:F1}"));
        return result;
    }

    private static async Task<double> ConcurrentThroughputAsync(BenchCluster cluster, int callers, int callsPerCaller)
    {
        var grains = Enumerable.Range(0, callers).Select(i => cluster.Grains(0).GetGrain<IPingGrain>(cluster.KeyOwnedBy(1, "ping", 10_000 + (i * 1_000)))).ToArray();
        await Task.WhenAll(grains.Select(g => g.PingAsync(0)));
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(grains.Select(async g =>
        {
            await Task.Yield();
            for (var i = 0; i < callsPerCaller; i++)
            {
                await g.PingAsync(i);
            }
        }));
        return callers * callsPerCaller / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static double At(double[] sorted, double quantile) => sorted[Math.Min(sorted.Length - 1, (int)(quantile * sorted.Length))];

    private sealed record LatencyResult(string Name, int Calls, double MeanMicroseconds, double P50, double P90, double P99, double P999, double Max);
}
