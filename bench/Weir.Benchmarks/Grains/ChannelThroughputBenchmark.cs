using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Hosting;
using Weir.Grains;
using Weir.Grains.Channels;
using Weir.Grains.Mailbox;

namespace Weir.Benchmarks.Grains;

public interface IBatchProducerGrain : IGrainWithIntegerKey
{
    Task StartAsync(OrderedChannel<long[]> output, int batches, int batchSize);
}

/// <summary>Writes batches of records while it has credit (mailbox default action).</summary>
public sealed class BatchProducerGrain : Grain, IBatchProducerGrain
{
    private OrderedChannel<long[]> _output = null!;
    private MailboxProcessor _mailbox = null!;
    private long[][] _pool = [];
    private int _remaining;
    private int _next;

    public Task StartAsync(OrderedChannel<long[]> output, int batches, int batchSize)
    {
        _output = output;
        _remaining = batches;
        // Batches are recycled: the channel's credit bounds how many are in flight.
        _pool = Enumerable.Range(0, output.Capacity + 2).Select(_ => Enumerable.Range(0, batchSize).Select(i => (long)i).ToArray()).ToArray();
        _mailbox = new MailboxProcessor(this, Produce);
        output.SetProducerSignal(_mailbox.Resume);
        _mailbox.Resume();
        return Task.CompletedTask;
    }

    private DefaultActionResult Produce()
    {
        if (_remaining == 0)
        {
            _output.Complete();
            _mailbox.Stop();
            return DefaultActionResult.Suspend;
        }

        if (!_output.TryWrite(_pool[_next]))
        {
            return DefaultActionResult.Suspend;
        }

        _next = (_next + 1) % _pool.Length;
        _remaining--;
        return DefaultActionResult.MoreAvailable;
    }
}

public interface IBatchConsumerGrain : IGrainWithIntegerKey
{
    Task<long> ConsumeAsync(OrderedChannel<long[]> input);
}

/// <summary>Sums every record it reads; answers when the input is drained.</summary>
public sealed class BatchConsumerGrain : Grain, IBatchConsumerGrain
{
    private OrderedChannel<long[]> _input = null!;
    private MailboxProcessor _mailbox = null!;
    private TaskCompletionSource<long> _done = null!;
    private long _sum;

    public Task<long> ConsumeAsync(OrderedChannel<long[]> input)
    {
        _input = input;
        _sum = 0;
        _done = new TaskCompletionSource<long>();
        _mailbox = new MailboxProcessor(this, Consume);
        input.SetConsumerSignal(_mailbox.Resume);
        _mailbox.Resume();
        return _done.Task;
    }

    private DefaultActionResult Consume()
    {
        if (_input.TryRead(out var batch))
        {
            var sum = 0L;
            foreach (var record in batch)
            {
                sum += record;
            }

            _sum += sum;
            return DefaultActionResult.MoreAvailable;
        }

        if (_input.IsDrained)
        {
            _mailbox.Stop();
            _done.TrySetResult(_sum);
        }

        return DefaultActionResult.Suspend;
    }
}

/// <summary>
/// Records through one channel between two grains, in batches of 1,024. One operation = one
/// record; records/s = 1e9 / (ns per operation).
/// </summary>
[MemoryDiagnoser]
public class ChannelThroughputBenchmark
{
    private const int BatchSize = 1_024;
    private const int Batches = 20_000;
    private IHost _host = null!;
    private int _run;

    [GlobalSetup]
    public async Task SetupAsync() => _host = await BenchSilo.StartAsync();

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    [Benchmark(OperationsPerInvoke = BatchSize * Batches)]
    public async Task<long> RecordsThroughOneChannel()
    {
        var run = Interlocked.Increment(ref _run);
        var channel = new OrderedChannel<long[]>(capacity: 16);
        var consumed = _host.Grains().GetGrain<IBatchConsumerGrain>(run).ConsumeAsync(channel);
        await _host.Grains().GetGrain<IBatchProducerGrain>(run).StartAsync(channel, Batches, BatchSize);
        return await consumed;
    }
}
