using Weir.Grains.Channels;

namespace Weir.Grains.Tests;

public sealed class ChannelTests
{
    [Fact]
    public async Task Each_writers_items_arrive_in_order_when_threads_write_concurrently()
    {
        const int writers = 8;
        const int perWriter = 5_000;
        var channel = new OrderedChannel<(int Writer, int Seq)>(capacity: 64);
        // Dedicated threads: busy writers must not starve the reader of a thread-pool thread.
        var producers = Enumerable.Range(0, writers).Select(w => Task.Factory.StartNew(() =>
        {
            for (var seq = 0; seq < perWriter; seq++)
            {
                while (!channel.TryWrite((w, seq)))
                {
                    Thread.Yield();
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        var next = new int[writers];
        var violations = 0;
        var received = 0;
        var consumer = Task.Factory.StartNew(() =>
        {
            while (received < writers * perWriter)
            {
                if (!channel.TryRead(out var item))
                {
                    Thread.Yield();
                    continue;
                }

                Assert.True(channel.Count <= channel.Capacity);
                if (item.Seq != next[item.Writer])
                {
                    violations++;
                }

                next[item.Writer] = item.Seq + 1;
                received++;
            }
        }, TaskCreationOptions.LongRunning);

        await Task.WhenAll(producers.Append(consumer)).Within("all items through the channel");
        Assert.Equal(writers * perWriter, received);
        Assert.Equal(0, violations);
        Assert.All(next, n => Assert.Equal(perWriter, n));
    }

    [Fact]
    public void A_writer_without_credit_is_refused_and_signalled_when_credit_returns()
    {
        var channel = new OrderedChannel<int>(capacity: 2);
        var signals = 0;
        channel.SetProducerSignal(() => signals++);

        Assert.True(channel.TryWrite(1));
        Assert.True(channel.TryWrite(2));
        Assert.False(channel.TryWrite(3));
        Assert.Equal(0, channel.Credit);
        Assert.Equal(0, signals);

        Assert.True(channel.TryRead(out var first));
        Assert.Equal(1, first);
        Assert.Equal(1, signals);
        Assert.Equal(1, channel.Credit);
    }

    [Fact]
    public void Writing_after_end_of_input_fails_and_reading_drains_what_was_written()
    {
        var channel = new OrderedChannel<int>(capacity: 4);
        channel.TryWrite(7);
        channel.Complete();

        var error = Assert.Throws<InvalidOperationException>(() => channel.TryWrite(8));
        Assert.Contains("completed", error.Message);
        Assert.False(channel.IsDrained);
        Assert.True(channel.TryRead(out var item));
        Assert.Equal(7, item);
        Assert.True(channel.IsDrained);
    }

    [Fact]
    public void A_priority_item_overtakes_queued_items_without_taking_or_returning_credit()
    {
        var channel = new OrderedChannel<string>(capacity: 2);
        var producerSignals = 0;
        var itemsRead = 0;
        channel.SetProducerSignal(() => producerSignals++);
        channel.ItemRead = () => itemsRead++;
        Assert.True(channel.TryWrite("a"));
        Assert.True(channel.TryWrite("b"));
        Assert.False(channel.TryWrite("c"));

        // Written with zero credit; each learns exactly the ordinary items it overtook, oldest first.
        string[]? overtakenByFirst = null;
        channel.WritePriority(overtaken =>
        {
            overtakenByFirst = overtaken;
            return "p1";
        });
        channel.WritePriority(overtaken => "p2:" + string.Join(",", overtaken));
        Assert.Equal(["a", "b"], overtakenByFirst!);
        Assert.Equal(0, channel.Credit);
        Assert.Equal(4, channel.Count);

        // Read first, in the order written, and returning no credit.
        Assert.True(channel.TryPeek(out var peeked));
        Assert.Equal("p1", peeked);
        Assert.True(channel.TryRead(out var first));
        Assert.True(channel.TryRead(out var second));
        Assert.Equal(["p1", "p2:a,b"], [first, second]);
        Assert.Equal(0, channel.Credit);
        Assert.Equal(0, producerSignals);
        Assert.Equal(0, itemsRead);

        // Ordinary items follow in order and return their credit as before.
        Assert.True(channel.TryRead(out var third));
        Assert.Equal("a", third);
        Assert.Equal(1, channel.Credit);
        Assert.Equal(1, producerSignals);
        Assert.Equal(1, itemsRead);

        // A later priority item overtakes only what is still queued.
        channel.WritePriority(overtaken => "p3:" + string.Join(",", overtaken));
        Assert.Equal(1, channel.Credit);
        Assert.True(channel.TryRead(out var fourth));
        Assert.True(channel.TryRead(out var fifth));
        Assert.Equal(["p3:b", "b"], [fourth, fifth]);
        Assert.False(channel.TryRead(out _));
        Assert.Equal(2, channel.Credit);
        Assert.Equal(2, itemsRead);
    }

    [Fact]
    public void A_due_item_overtakes_the_items_before_it_and_returns_its_credit()
    {
        var promotion = new DuePromotion();
        var channel = new OrderedChannel<string>(capacity: 4, promotion);
        var producerSignals = 0;
        var itemsRead = 0;
        channel.SetProducerSignal(() => producerSignals++);
        channel.ItemRead = () => itemsRead++;
        foreach (var item in new[] { "a", "b", "!barrier", "c" })
        {
            Assert.True(channel.TryWrite(item));
        }

        Assert.False(channel.TryWrite("d"));

        // Not due: read in line like any item.
        Assert.True(channel.TryRead(out var first));
        Assert.Equal("a", first);
        Assert.Equal(1, itemsRead);
        Assert.Equal(1, producerSignals);

        // Due: on the next read it leaves its place, overtaking what was before it, and its credit returns.
        promotion.Due = true;
        Assert.True(channel.TryWrite("d"));
        Assert.False(channel.TryWrite("e"));
        Assert.True(channel.TryRead(out var promoted));
        Assert.Equal("promoted !barrier over b", promoted);
        Assert.Equal(1, channel.Credit);
        Assert.Equal(2, itemsRead);
        Assert.Equal(2, producerSignals);

        // The rest in order, without it.
        var rest = new List<string>();
        while (channel.TryRead(out var item))
        {
            rest.Add(item);
        }

        Assert.Equal(["b", "c", "d"], rest);
        Assert.Equal(5, itemsRead);
    }

    [Fact]
    public void A_promotable_item_read_in_line_is_never_promoted_and_only_reads_look_for_due_items()
    {
        var promotion = new DuePromotion();
        var channel = new OrderedChannel<string>(capacity: 4, promotion);
        channel.TryWrite("!first");
        channel.TryWrite("a");
        Assert.True(channel.TryRead(out var first));
        Assert.Equal("!first", first);

        promotion.Due = true;
        channel.TryWrite("!second");

        // A peek promotes nothing; a priority read does.
        Assert.True(channel.TryPeek(out var peeked));
        Assert.Equal("a", peeked);
        Assert.True(channel.TryReadPriority(out var promoted));
        Assert.Equal("promoted !second over a", promoted);
        Assert.False(channel.TryReadPriority(out _));
        Assert.True(channel.TryRead(out var last));
        Assert.Equal("a", last);
        Assert.False(channel.TryRead(out _));
        Assert.Equal(["!first", "!second"], promotion.Asked);
    }

    [Fact]
    public void A_priority_item_signals_an_idle_consumer_and_cannot_follow_end_of_input()
    {
        var channel = new OrderedChannel<int>(capacity: 1);
        var consumerSignals = 0;
        channel.SetConsumerSignal(() => consumerSignals++);

        channel.WritePriority(overtaken => overtaken.Length);
        Assert.Equal(1, consumerSignals);
        channel.Complete();

        var error = Assert.Throws<InvalidOperationException>(() => channel.WritePriority(_ => 1));
        Assert.Contains("completed", error.Message);
        Assert.False(channel.IsDrained);
        Assert.True(channel.TryRead(out var item));
        Assert.Equal(0, item);
        Assert.True(channel.IsDrained);
    }

    [Fact]
    public async Task Channels_between_grains_are_fifo_with_concurrent_producer_grains()
    {
        await using var silo = await TestSilo.StartAsync();
        const int producers = 4;
        const int batches = 2_000;
        var channels = Enumerable.Range(0, producers).Select(_ => new OrderedChannel<SequenceBatch>(capacity: 8)).ToArray();
        var consumer = silo.GrainFactory.GetGrain<IChannelConsumerGrain>("fifo");
        await consumer.StartAsync(channels, permits: null);

        await Task.WhenAll(Enumerable.Range(0, producers).Select(p =>
            silo.GrainFactory.GetGrain<IChannelProducerGrain>($"fifo-{p}").StartAsync(channels[p], p, batches, batchSize: 16)));

        await Eventually.Until(() => consumer.GetStatsAsync().Result.AllDrained, "the consumer drains every channel", TimeSpan.FromSeconds(30));
        var (records, received, violations, _) = await consumer.GetStatsAsync();
        Assert.Equal(producers * batches, received);
        Assert.Equal(producers * batches * 16L, records);
        Assert.Equal(0, violations);
    }

    [Fact]
    public async Task A_slow_consumer_bounds_the_producers_buffered_batches_and_the_producer_keeps_answering()
    {
        await using var silo = await TestSilo.StartAsync();
        const int capacity = 4;
        const int batches = 200;
        var channel = new OrderedChannel<SequenceBatch>(capacity);
        var consumer = silo.GrainFactory.GetGrain<IChannelConsumerGrain>("slow");
        var producer = silo.GrainFactory.GetGrain<IChannelProducerGrain>("fast");
        await consumer.StartAsync([channel], permits: 0);
        await producer.StartAsync(channel, 0, batches, batchSize: 1);

        // With nothing consumed, the producer fills exactly its credit and stops.
        await Eventually.Until(() => producer.GetStatsAsync().Result.OutOfCredit > 0, "the producer runs out of credit");
        var (written, _, _) = await producer.GetStatsAsync().Within("a backpressured producer still answers calls");
        Assert.Equal(capacity, written);
        Assert.Equal(capacity, channel.Count);

        // Consume in small steps; the producer never gets more than `capacity` ahead.
        var consumed = 0;
        while (consumed < batches)
        {
            await consumer.PermitAsync(3);
            consumed = Math.Min(batches, consumed + 3);
            await Eventually.Until(() => consumer.GetStatsAsync().Result.Batches == consumed, $"{consumed} batches consumed");
            var stats = await producer.GetStatsAsync();
            Assert.InRange(stats.Written - consumed, 0, capacity);
        }

        var (_, received, violations, drained) = await consumer.GetStatsAsync();
        Assert.Equal(batches, received);
        Assert.Equal(0, violations);
        Assert.True((await producer.GetStatsAsync()).OutOfCredit >= batches / capacity);
    }

    /// <summary>Items starting with '!' may be promoted, once <see cref="Due"/>.</summary>
    private sealed class DuePromotion : IPromotion<string>
    {
        public bool Due { get; set; }

        public List<string> Asked { get; } = [];

        public bool MayPromote(string item) => item.StartsWith('!');

        public bool IsDue(string item)
        {
            if (!Asked.Contains(item))
            {
                Asked.Add(item);
            }

            return Due;
        }

        public string Promote(string item, string[] overtaken) => $"promoted {item} over {string.Join(",", overtaken)}";
    }
}
