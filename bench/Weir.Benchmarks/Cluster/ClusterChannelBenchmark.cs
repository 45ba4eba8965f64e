using BenchmarkDotNet.Attributes;
using Weir.Grains.Channels;
using Weir.Serialization;

namespace Weir.Benchmarks.Cluster;

/// <summary>
/// Records through one channel in batches of 1,024 <c>long</c>s: an <see cref="OrderedChannel{T}"/>
/// in one process (batches by reference) against a cross-silo channel between two silos over
/// loopback TCP (each batch encoded with the built-in <c>long[]</c> serializer, varints, sent,
/// decoded, credit returned). The same producer and consumer loops drive both: the producer
/// writes while it has credit and waits for the producer signal; the consumer sums and waits for
/// the consumer signal. Capacity 16 batches. One operation = one record.
/// </summary>
[MemoryDiagnoser]
public class ClusterChannelBenchmark
{
    private const int BatchSize = 1_024;
    private const int Batches = 20_000;
    private const int Capacity = 16;
    private BenchCluster _cluster = null!;
    private long[][] _pool = [];
    private int _run;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _cluster = await BenchCluster.StartAsync(2);
        _pool = Enumerable.Range(0, Capacity + 2).Select(_ => Enumerable.Range(0, BatchSize).Select(i => (long)i).ToArray()).ToArray();
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _cluster.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = BatchSize * Batches)]
    public async Task<long> InOneProcess()
    {
        var channel = new OrderedChannel<long[]>(Capacity);
        var credit = new SemaphoreSlim(0);
        channel.SetProducerSignal(() => credit.Release());
        var consumed = ConsumeAsync(channel);
        await ProduceAsync(channel.TryWrite, credit, channel.Complete);
        return await consumed;
    }

    [Benchmark(OperationsPerInvoke = BatchSize * Batches)]
    public async Task<long> AcrossSilos()
    {
        var id = new RemoteChannelId($"bench/{Interlocked.Increment(ref _run)}");
        var codec = Serializers.Get<long[]>();
        var reader = _cluster.Runtime(1).Channels.OpenReader(id, codec, Capacity);
        var writer = _cluster.Runtime(0).Channels.OpenWriter(id, _cluster.Address(1), codec);
        var credit = new SemaphoreSlim(0);
        writer.SetProducerSignal(() => credit.Release());
        var consumed = ConsumeAsync(reader.Channel);
        await ProduceAsync(writer.TryWrite, credit, writer.Complete);
        var sum = await consumed;
        _cluster.Runtime(1).Channels.CloseReader(id);
        return sum;
    }

    private async Task ProduceAsync(Func<long[], bool> tryWrite, SemaphoreSlim credit, Action complete)
    {
        await Task.Yield();
        for (var i = 0; i < Batches; i++)
        {
            var batch = _pool[i % _pool.Length];
            while (!tryWrite(batch))
            {
                await credit.WaitAsync();
            }
        }

        complete();
    }

    private static async Task<long> ConsumeAsync(OrderedChannel<long[]> channel)
    {
        var data = new SemaphoreSlim(0);
        channel.SetConsumerSignal(() => data.Release());
        await Task.Yield();
        var sum = 0L;
        while (true)
        {
            while (channel.TryRead(out var batch))
            {
                foreach (var value in batch)
                {
                    sum += value;
                }
            }

            if (channel.IsDrained)
            {
                return sum;
            }

            await data.WaitAsync(TimeSpan.FromMilliseconds(100));
        }
    }
}
