using System.Net;
using Weir.Grains;
using Weir.Grains.Channels;
using Weir.Grains.Wire;
using Weir.Serialization;

namespace Weir.Cluster.Tests;

/// <summary>An element of a test stream: records or a barrier, like the engine's StreamElement.</summary>
public abstract record TestElement;

public sealed record Batch(long First, long[] Values) : TestElement;

public sealed record Marker(long Id) : TestElement;

/// <summary>A hand-written codec with a tag byte per element kind: the shape of the engine's StreamElement codec.</summary>
public sealed class TestElementCodec : ISerializer<TestElement>
{
    public void Write(DataWriter writer, TestElement value)
    {
        switch (value)
        {
            case Batch batch:
                writer.WriteByte(1);
                writer.WriteVarInt64(batch.First);
                Serializers.Get<long[]>().Write(writer, batch.Values);
                break;
            case Marker marker:
                writer.WriteByte(2);
                writer.WriteVarInt64(marker.Id);
                break;
        }
    }

    public TestElement Read(ref DataReader reader) => reader.ReadByte() switch
    {
        1 => new Batch(reader.ReadVarInt64(), Serializers.Get<long[]>().Read(ref reader)!),
        2 => new Marker(reader.ReadVarInt64()),
        var tag => throw new SerializationException($"unknown element tag {tag}"),
    };
}

/// <summary>Channels from a producer on one silo to a consumer on another: the contract of OrderedChannel across TCP.</summary>
public sealed class RemoteChannelTests
{
    private static readonly TestElementCodec Codec = new();

    [Fact]
    public async Task CreditBoundsWhatTheProducerCanBufferAndReadsReturnIt()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (producerSilo, consumerSilo) = (cluster.Silos[0], cluster.Silos[1]);
        var id = new RemoteChannelId("credit");
        var reader = consumerSilo.Runtime.Channels.OpenReader(id, Codec, capacity: 4);
        var writer = producerSilo.Runtime.Channels.OpenWriter<TestElement>(id, consumerSilo.Address, Codec);
        var signals = new SemaphoreSlim(0);
        writer.SetProducerSignal(() => signals.Release());

        // Credit arrives from the consumer's side: exactly its capacity, and not one element more.
        await Eventually.Until(() => writer.Credit == 4, "the consumer's credit to arrive");
        var written = 0;
        while (writer.TryWrite(new Batch(written, [written])))
        {
            written++;
        }

        Assert.Equal(4, written);
        await Eventually.Until(() => reader.Channel.Count == 4, "the four elements to arrive");
        Assert.False(writer.TryWrite(new Batch(99, [])));

        // Reading one returns one credit, which wakes the producer.
        Assert.True(reader.Channel.TryRead(out var first));
        Assert.Equal(0, ((Batch)first).First);
        await signals.WaitAsync().Within("the producer signal after a read");
        Assert.True(writer.TryWrite(new Batch(4, [4])));
        Assert.False(writer.TryWrite(new Batch(5, [5])));
        await Eventually.Until(() => reader.Channel.Count == 4, "the fifth element to arrive");
        Assert.Equal(4, reader.Channel.Count);
    }

    [Fact]
    public async Task ElementsArriveInOrderWithMarkersInBandAndTheEndAfterThem()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (producerSilo, consumerSilo) = (cluster.Silos[0], cluster.Silos[1]);
        var id = new RemoteChannelId("job/1/edge/0/1");
        const int capacity = 8;
        const int batches = 3000;
        var reader = consumerSilo.Runtime.Channels.OpenReader(id, Codec, capacity);
        var writer = producerSilo.Runtime.Channels.OpenWriter<TestElement>(id, consumerSilo.Address, Codec);
        var credit = new SemaphoreSlim(0);
        writer.SetProducerSignal(() => credit.Release());
        var data = new SemaphoreSlim(0);
        reader.Channel.SetConsumerSignal(() => data.Release());

        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < batches; i++)
            {
                TestElement element = i % 100 == 99 ? new Marker(i / 100) : new Batch(i, [i, -i]);
                while (!writer.TryWrite(element))
                {
                    await credit.WaitAsync();
                }
            }

            writer.Complete();
        });

        var received = new List<TestElement>();
        var maxBuffered = 0;
        while (!reader.Channel.IsDrained)
        {
            maxBuffered = Math.Max(maxBuffered, reader.Channel.Count);
            if (reader.Channel.TryRead(out var element))
            {
                received.Add(element);
            }
            else if (!reader.Channel.IsDrained)
            {
                await data.WaitAsync(TimeSpan.FromMilliseconds(50));
            }
        }

        await producer.Within("the producer to finish");
        Assert.Equal(batches, received.Count);
        for (var i = 0; i < batches; i++)
        {
            Assert.Equal(i % 100 == 99 ? new Marker(i / 100) : new Batch(i, [i, -i]) as TestElement, received[i], ElementComparer.Instance);
        }

        Assert.InRange(maxBuffered, 1, capacity);
        Assert.Null(reader.Fault);
        Assert.Null(writer.Fault);
    }

    [Fact]
    public async Task AChannelOpenedByItsProducerFirstWaitsForItsConsumer()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (producerSilo, consumerSilo) = (cluster.Silos[0], cluster.Silos[1]);
        var id = new RemoteChannelId("late-consumer");
        var writer = producerSilo.Runtime.Channels.OpenWriter<TestElement>(id, consumerSilo.Address, Codec);
        await Eventually.Until(() => consumerSilo.Runtime.Channels.UnclaimedChannels == 1, "the open to reach the consumer's silo");
        Assert.False(writer.TryWrite(new Marker(1)));

        var reader = consumerSilo.Runtime.Channels.OpenReader(id, Codec, capacity: 2);

        await Eventually.Until(() => writer.Credit == 2, "credit once the consumer opened");
        Assert.True(writer.TryWrite(new Marker(1)));
        writer.Complete();
        await Eventually.Until(() => reader.Channel.IsDrained || reader.Channel.Count == 1, "the element to arrive");
        Assert.True(reader.Channel.TryRead(out var element));
        Assert.Equal(new Marker(1), element);
        await Eventually.Until(() => reader.Channel.IsDrained, "the end of input");
        Assert.Equal(0, consumerSilo.Runtime.Channels.UnclaimedChannels);
    }

    [Fact]
    public async Task APriorityElementOvertakesWhatTheConsumerBufferedWithoutTakingCredit()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (producerSilo, consumerSilo) = (cluster.Silos[0], cluster.Silos[1]);
        var id = new RemoteChannelId("priority");
        TestElement[]? overtaken = null;
        var reader = consumerSilo.Runtime.Channels.OpenReader<TestElement>(id, Codec, capacity: 4, (element, buffered) =>
        {
            overtaken = buffered;
            return element;
        });
        var writer = producerSilo.Runtime.Channels.OpenWriter<TestElement>(id, consumerSilo.Address, Codec);
        await Eventually.Until(() => writer.Credit == 4, "the consumer's credit to arrive");
        for (var i = 0; i < 4; i++)
        {
            Assert.True(writer.TryWrite(new Batch(i, [i])));
        }

        Assert.False(writer.TryWrite(new Batch(4, [4])));
        await Eventually.Until(() => reader.Channel.Count == 4, "the four elements to be buffered at the consumer");

        // Out of credit, the producer still sends the priority element, and spends nothing on it.
        writer.WritePriority(new Marker(1));
        Assert.Equal(0, writer.Credit);
        await Eventually.Until(() => reader.Channel.Count == 5, "the priority element to arrive");
        Assert.True(reader.Channel.TryRead(out var priority));
        Assert.Equal(new Marker(1), priority);
        Assert.Equal(Enumerable.Range(0, 4).Select(i => new Batch(i, [i])), overtaken!, ElementComparer.Instance);

        // The buffered elements follow in order; each read returns one credit, and the priority
        // element returned none (its credit would have travelled before theirs).
        for (var i = 0; i < 4; i++)
        {
            Assert.True(reader.Channel.TryRead(out var element));
            Assert.Equal(new Batch(i, [i]), element, ElementComparer.Instance);
        }

        await Eventually.Until(() => writer.Credit >= 4, "the credit of the four elements read");
        Assert.Equal(4, writer.Credit);
        for (var i = 4; i < 8; i++)
        {
            Assert.True(writer.TryWrite(new Batch(i, [i])));
        }

        writer.Complete();
        var received = await ReadToTheEndAsync(reader, "the rest of the elements and the end");
        Assert.Equal(Enumerable.Range(4, 4).Select(i => new Batch(i, [i])), received, ElementComparer.Instance);
        Assert.Null(writer.Fault);
        Assert.Null(reader.Fault);
    }

    [Fact]
    public async Task AnElementPromotedAtTheConsumerOvertakesWhatWasBufferedBeforeItAndReturnsItsCredit()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (producerSilo, consumerSilo) = (cluster.Silos[0], cluster.Silos[1]);
        var id = new RemoteChannelId("promotion");
        var promotion = new MarkerPromotion();
        var reader = consumerSilo.Runtime.Channels.OpenReader(id, Codec, capacity: 4, promotion: promotion);
        var writer = producerSilo.Runtime.Channels.OpenWriter<TestElement>(id, consumerSilo.Address, Codec);
        await Eventually.Until(() => writer.Credit == 4, "the consumer's credit to arrive");
        Assert.True(writer.TryWrite(new Batch(0, [0])));
        Assert.True(writer.TryWrite(new Batch(1, [1])));
        Assert.True(writer.TryWrite(new Marker(7)));
        Assert.True(writer.TryWrite(new Batch(2, [2])));
        Assert.False(writer.TryWrite(new Batch(3, [3])));
        await Eventually.Until(() => reader.Channel.Count == 4, "the four elements to be buffered at the consumer");

        // Due: the marker leaves its place on the next read, ahead of the two batches sent before it.
        promotion.Due = true;
        Assert.True(reader.Channel.TryRead(out var promoted));
        Assert.Equal(new Marker(7_002), promoted); // marker 7 over the 2 batches

        // Its credit went back to the producer with the element's leaving; the batches follow in order.
        await Eventually.Until(() => writer.Credit >= 1, "the promoted element's credit");
        Assert.True(writer.TryWrite(new Batch(3, [3])));
        writer.Complete();
        var received = await ReadToTheEndAsync(reader, "the batches and the end");
        Assert.Equal(Enumerable.Range(0, 4).Select(i => new Batch(i, [i])), received, ElementComparer.Instance);
        Assert.Null(writer.Fault);
        Assert.Null(reader.Fault);
    }

    [Fact]
    public async Task PriorityElementsAndTheEndWrittenBeforeTheConsumerOpenedArriveInOrder()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (producerSilo, consumerSilo) = (cluster.Silos[0], cluster.Silos[1]);
        var id = new RemoteChannelId("early-priority");
        var writer = producerSilo.Runtime.Channels.OpenWriter<TestElement>(id, consumerSilo.Address, Codec);

        // Possibly before the writer is bound to its connection, certainly before the consumer's silo claimed the channel.
        writer.WritePriority(new Marker(1));
        await Eventually.Until(() => consumerSilo.Runtime.Channels.UnclaimedChannels == 1, "the open to reach the consumer's silo");
        writer.WritePriority(new Marker(2));
        writer.Complete();
        Assert.Throws<InvalidOperationException>(() => writer.WritePriority(new Marker(3)));

        var overtakenCounts = new List<int>();
        var reader = consumerSilo.Runtime.Channels.OpenReader<TestElement>(id, Codec, capacity: 2, (element, buffered) =>
        {
            overtakenCounts.Add(buffered.Length);
            return element;
        });
        var received = await ReadToTheEndAsync(reader, "the held priority elements and the end");
        Assert.Equal([new Marker(1), new Marker(2)], received);
        Assert.Equal([0, 0], overtakenCounts);
        Assert.Null(writer.Fault);
        Assert.Equal(0, producerSilo.Runtime.Channels.OpenWriters);
    }

    [Fact]
    public async Task TheConsumerSeesAFaultWhenTheProducersSiloDies()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (producerSilo, consumerSilo) = (cluster.Silos[0], cluster.Silos[1]);
        var id = new RemoteChannelId("producer-dies");
        var reader = consumerSilo.Runtime.Channels.OpenReader(id, Codec, capacity: 4);
        var faulted = new TaskCompletionSource();
        reader.SetFaultSignal(() => faulted.TrySetResult());
        var writer = producerSilo.Runtime.Channels.OpenWriter<TestElement>(id, consumerSilo.Address, Codec);
        await Eventually.Until(() => writer.Credit == 4, "credit");
        writer.TryWrite(new Marker(7));

        await producerSilo.CrashAsync();

        await faulted.Task.Within("the consumer's fault signal");
        Assert.IsType<SiloUnavailableException>(reader.Fault);
        Assert.False(reader.Channel.IsDrained);
        Assert.True(reader.Channel.TryRead(out var delivered));
        Assert.Equal(new Marker(7), delivered);
    }

    [Fact]
    public async Task TheProducerSeesAFaultWhenTheConsumersSiloDies()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (producerSilo, consumerSilo) = (cluster.Silos[0], cluster.Silos[1]);
        var id = new RemoteChannelId("consumer-dies");
        consumerSilo.Runtime.Channels.OpenReader(id, Codec, capacity: 4);
        var writer = producerSilo.Runtime.Channels.OpenWriter<TestElement>(id, consumerSilo.Address, Codec);
        var signalled = new TaskCompletionSource();
        await Eventually.Until(() => writer.Credit == 4, "credit");
        writer.SetProducerSignal(() => signalled.TrySetResult());

        await consumerSilo.CrashAsync();

        await signalled.Task.Within("the producer signal on the fault");
        Assert.IsType<SiloUnavailableException>(writer.Fault);
        var failure = Assert.Throws<SiloUnavailableException>(() => writer.TryWrite(new Marker(1)));
        Assert.Contains("consumer-dies", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecondProducerAndAClosedConsumerAreRefused()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (producerSilo, consumerSilo) = (cluster.Silos[0], cluster.Silos[1]);
        var id = new RemoteChannelId("one-producer");
        consumerSilo.Runtime.Channels.OpenReader(id, Codec, capacity: 4);
        var first = producerSilo.Runtime.Channels.OpenWriter<TestElement>(id, consumerSilo.Address, Codec);
        await Eventually.Until(() => first.Credit == 4, "credit of the first producer");

        var second = producerSilo.Runtime.Channels.OpenWriter<TestElement>(id, consumerSilo.Address, Codec);
        await Eventually.Until(() => second.Fault is not null, "the second producer to be refused");
        Assert.Contains("already has a producer", second.Fault!.Message, StringComparison.Ordinal);

        Assert.True(consumerSilo.Runtime.Channels.CloseReader(id));
        await Eventually.Until(() => first.Fault is not null, "the first producer to hear the consumer closed");
        Assert.Contains("the consumer closed channel one-producer", first.Fault!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProducerThatWritesBeyondItsCreditIsCutOff()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var reader = cluster.Silos[0].Runtime.Channels.OpenReader(new RemoteChannelId("greedy"), Codec, capacity: 2);
        await using var raw = await ProduceByHandAsync(cluster, new RemoteChannelId("greedy"));
        for (var i = 0; i < 3; i++)
        {
            await raw.SendAsync(RawConnection.Frame(FrameType.ChannelData, w =>
            {
                w.WriteVarUInt64(5);
                Codec.Write(w, new Marker(i));
            }));
        }

        Assert.True(await raw.IsClosedByPeerAsync());
        await cluster.Logs.WaitForLineAsync("the violation to be logged", "the producer of channel greedy wrote beyond its credit of 2 elements");
        Assert.Equal(2, reader.Channel.Count);
    }

    [Fact]
    public async Task PriorityElementsNeedNoCreditAndWhatFollowsTheEndIsDropped()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var reader = cluster.Silos[0].Runtime.Channels.OpenReader(new RemoteChannelId("priority-raw"), Codec, capacity: 2);
        await using var raw = await ProduceByHandAsync(cluster, new RemoteChannelId("priority-raw"));

        // Two elements use the whole credit; the priority element beyond it is no violation.
        // After the end, a priority element is dropped like data; the Pong proves all were handled.
        var frames = new List<byte>();
        foreach (var (frameType, marker) in new[] { (FrameType.ChannelData, 0), (FrameType.ChannelData, 1), (FrameType.ChannelPriority, 2) })
        {
            frames.AddRange(RawConnection.Frame(frameType, w =>
            {
                w.WriteVarUInt64(5);
                Codec.Write(w, new Marker(marker));
            }));
        }

        frames.AddRange(RawConnection.Frame(FrameType.ChannelEnd, w => w.WriteVarUInt64(5)));
        frames.AddRange(RawConnection.Frame(FrameType.ChannelPriority, w =>
        {
            w.WriteVarUInt64(5);
            Codec.Write(w, new Marker(3));
        }));
        frames.AddRange(RawConnection.Frame(FrameType.Ping, w => w.WriteVarUInt64(42)));
        await raw.SendAsync(frames.ToArray());

        var (type, _) = await raw.ReadFrameAsync();
        Assert.Equal(FrameType.Pong, type);
        var received = new List<TestElement>();
        while (reader.Channel.TryRead(out var element))
        {
            received.Add(element);
        }

        Assert.Equal([new Marker(2), new Marker(0), new Marker(1)], received);
        Assert.True(reader.Channel.IsDrained);
        Assert.Null(reader.Fault);
    }

    [Fact]
    public async Task AProducerThatFloodsPriorityElementsIsCutOff()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var reader = cluster.Silos[0].Runtime.Channels.OpenReader(new RemoteChannelId("flood"), Codec, capacity: 2);
        await using var raw = await ProduceByHandAsync(cluster, new RemoteChannelId("flood"));

        // Priority elements take no credit, so the consumer bounds how many it holds unread.
        var frames = new List<byte>();
        for (var i = 0; i <= RemoteChannelReader<TestElement>.MaxPriorityBuffered; i++)
        {
            frames.AddRange(RawConnection.Frame(FrameType.ChannelPriority, w =>
            {
                w.WriteVarUInt64(5);
                Codec.Write(w, new Marker(i));
            }));
        }

        await raw.SendAsync(frames.ToArray());

        Assert.True(await raw.IsClosedByPeerAsync());
        await cluster.Logs.WaitForLineAsync("the violation to be logged", $"the producer of channel flood sent more than {RemoteChannelReader<TestElement>.MaxPriorityBuffered} priority elements the consumer had not read");
        Assert.Equal(RemoteChannelReader<TestElement>.MaxPriorityBuffered, reader.Channel.Count);
    }

    [Fact]
    public async Task AChannelToItsOwnSiloAndOverlongIdsAreRefused()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var silo = cluster.Silos[0];

        var self = Assert.Throws<ArgumentException>(() => silo.Runtime.Channels.OpenWriter<TestElement>(new RemoteChannelId("x"), silo.Address, Codec));
        Assert.Contains("use a local OrderedChannel", self.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new RemoteChannelId(new string('a', RemoteChannelId.MaxLength + 1)));
    }

    /// <summary>Reads <paramref name="reader"/>'s channel until it is drained (its end came and everything was read).</summary>
    private static async Task<List<TestElement>> ReadToTheEndAsync(RemoteChannelReader<TestElement> reader, string what)
    {
        var received = new List<TestElement>();
        await Eventually.Until(
            () =>
            {
                while (reader.Channel.TryRead(out var element))
                {
                    received.Add(element);
                }

                return reader.Channel.IsDrained;
            },
            what);
        return received;
    }

    /// <summary>
    /// A hand-made producer of channel <paramref name="id"/>, whose consuming end is open on the first silo:
    /// a raw connection of an impostor silo that opened the channel as handle 5 and got its credit.
    /// </summary>
    private static async Task<RawConnection> ProduceByHandAsync(TestCluster cluster, RemoteChannelId id)
    {
        var raw = await RawConnection.ConnectAsync(cluster.Silos[0].Address.Endpoint);
        var impostor = new SiloAddress(new IPEndPoint(IPAddress.Loopback, 9), 1);
        Assert.True((await raw.HandshakeAsync(cluster.ClusterId, ConnectionRole.Silo, impostor)).Accepted);
        await raw.SendAsync(RawConnection.Frame(FrameType.ChannelOpen, w =>
        {
            w.WriteVarUInt64(5);
            w.WriteString(id.Value);
        }));
        var (type, _) = await raw.ReadFrameAsync();
        Assert.Equal(FrameType.ChannelCredit, type);
        return raw;
    }

    private sealed class ElementComparer : IEqualityComparer<TestElement>
    {
        public static readonly ElementComparer Instance = new();

        public bool Equals(TestElement? x, TestElement? y) => (x, y) switch
        {
            (Batch a, Batch b) => a.First == b.First && a.Values.SequenceEqual(b.Values),
            _ => object.Equals(x, y),
        };

        public int GetHashCode(TestElement obj) => 0;
    }
}

/// <summary>Markers may be promoted once <see cref="Due"/>; a promoted marker's id is its own times 1,000 plus the count of elements it overtook.</summary>
internal sealed class MarkerPromotion : IPromotion<TestElement>
{
    public volatile bool Due;

    public bool MayPromote(TestElement item) => item is Marker;

    public bool IsDue(TestElement item) => Due;

    public TestElement Promote(TestElement item, TestElement[] overtaken) => new Marker((((Marker)item).Id * 1_000) + overtaken.Length);
}
