using Weir.Grains.Channels;
using Weir.Grains.Mailbox;

namespace Weir.Grains.Tests;

/// <summary>A batch of sequence numbers from one producer.</summary>
public sealed record SequenceBatch(int Producer, int First, int Count);

public interface IChannelProducerGrain : IGrainWithStringKey
{
    Task StartAsync(OrderedChannel<SequenceBatch> output, int producer, int batches, int batchSize);

    Task<(int Written, int OutOfCredit, bool Done)> GetStatsAsync();
}

/// <summary>Writes batches while it has credit; suspends its mailbox's default action without.</summary>
public sealed class ChannelProducerGrain : Grain, IChannelProducerGrain
{
    private OrderedChannel<SequenceBatch>? _output;
    private MailboxProcessor? _mailbox;
    private int _producer;
    private int _batches;
    private int _batchSize;
    private int _written;
    private int _outOfCredit;

    public Task StartAsync(OrderedChannel<SequenceBatch> output, int producer, int batches, int batchSize)
    {
        (_output, _producer, _batches, _batchSize) = (output, producer, batches, batchSize);
        _mailbox = new MailboxProcessor(this, Produce);
        output.SetProducerSignal(_mailbox.Resume);
        _mailbox.Resume();
        return Task.CompletedTask;
    }

    public Task<(int Written, int OutOfCredit, bool Done)> GetStatsAsync() =>
        Task.FromResult((_written, _outOfCredit, _written == _batches));

    private DefaultActionResult Produce()
    {
        if (_written == _batches)
        {
            _output!.Complete();
            _mailbox!.Stop();
            return DefaultActionResult.Suspend;
        }

        if (!_output!.TryWrite(new SequenceBatch(_producer, _written * _batchSize, _batchSize)))
        {
            _outOfCredit++;
            return DefaultActionResult.Suspend;
        }

        _written++;
        return DefaultActionResult.MoreAvailable;
    }
}

public interface IChannelConsumerGrain : IGrainWithStringKey
{
    /// <summary>Starts reading; with <paramref name="permits"/> set, reads only as many batches as permitted.</summary>
    Task StartAsync(OrderedChannel<SequenceBatch>[] inputs, int? permits);

    Task PermitAsync(int batches);

    Task<(long Records, int Batches, int OrderViolations, bool AllDrained)> GetStatsAsync();
}

public sealed class ChannelConsumerGrain : Grain, IChannelConsumerGrain
{
    private readonly Dictionary<int, int> _nextByProducer = [];
    private OrderedChannel<SequenceBatch>[] _inputs = [];
    private MailboxProcessor? _mailbox;
    private int? _permits;
    private long _records;
    private int _batches;
    private int _violations;

    public Task StartAsync(OrderedChannel<SequenceBatch>[] inputs, int? permits)
    {
        _inputs = inputs;
        _permits = permits;
        _mailbox = new MailboxProcessor(this, Consume);
        foreach (var input in inputs)
        {
            input.SetConsumerSignal(_mailbox.Resume);
        }

        _mailbox.Resume();
        return Task.CompletedTask;
    }

    public Task PermitAsync(int batches)
    {
        _permits += batches;
        _mailbox!.Resume();
        return Task.CompletedTask;
    }

    public Task<(long Records, int Batches, int OrderViolations, bool AllDrained)> GetStatsAsync() =>
        Task.FromResult((_records, _batches, _violations, _inputs.All(i => i.IsDrained)));

    private DefaultActionResult Consume()
    {
        var progressed = false;
        foreach (var input in _inputs)
        {
            if (_permits is <= 0)
            {
                return DefaultActionResult.Suspend;
            }

            if (!input.TryRead(out var batch))
            {
                continue;
            }

            _permits--;
            progressed = true;
            _batches++;
            _records += batch.Count;
            var expected = _nextByProducer.GetValueOrDefault(batch.Producer);
            if (batch.First != expected)
            {
                _violations++;
            }

            _nextByProducer[batch.Producer] = batch.First + batch.Count;
        }

        return progressed ? DefaultActionResult.MoreAvailable : DefaultActionResult.Suspend;
    }
}
