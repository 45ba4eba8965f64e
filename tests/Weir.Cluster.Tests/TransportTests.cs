using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;
using Weir.Client;
using Weir.Grains;
using Weir.Grains.Invocation;
using Weir.Grains.Wire;

namespace Weir.Cluster.Tests;

/// <summary>
/// What the transport does with broken or hostile peers: garbage, an oversized frame, a wrong
/// cluster id, a silent dialer. Each closes that connection with a logged reason, while the silo
/// keeps serving its other connections (a silo-to-silo call and a client call both still work).
/// </summary>
public sealed class TransportTests
{
    [Fact]
    public async Task GarbageInsteadOfAHandshakeClosesThatConnectionOnly()
    {
        await using var fixture = await Fixture.StartAsync();
        await using var raw = await RawConnection.ConnectAsync(fixture.Target.Address.Endpoint);

        await raw.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: weir\r\n\r\n"));

        Assert.True(await raw.IsClosedByPeerAsync());
        await fixture.Logs.WaitForLineAsync("the garbage to be logged", "garbage instead of the preamble 'WEIR'", "474554");
        await fixture.AssertStillServingAsync();
    }

    [Fact]
    public async Task AnOversizedFrameClosesThatConnectionOnly()
    {
        await using var fixture = await Fixture.StartAsync();
        await using var raw = await fixture.ConnectRawClientAsync();

        var prefix = new byte[5];
        BinaryPrimitives.WriteInt32LittleEndian(prefix, 17 * 1024 * 1024);
        prefix[4] = (byte)FrameType.Request;
        await raw.SendAsync(prefix);

        Assert.True(await raw.IsClosedByPeerAsync());
        await fixture.Logs.WaitForLineAsync("the oversized frame to be logged", "a frame of 17825792 bytes exceeds the frame cap of 16777216 bytes");
        await fixture.AssertStillServingAsync();
    }

    [Fact]
    public async Task AWrongClusterIdIsRefusedWithItsReason()
    {
        await using var fixture = await Fixture.StartAsync();
        await using var raw = await RawConnection.ConnectAsync(fixture.Target.Address.Endpoint);
        var impostor = new SiloAddress(new IPEndPoint(IPAddress.Loopback, 1), 1);

        var ack = await raw.HandshakeAsync("someone-else", ConnectionRole.Silo, impostor);

        Assert.Equal(RejectCode.ClusterMismatch, ack.Rejection);
        Assert.Contains("wrong cluster id 'someone-else'", ack.Reason, StringComparison.Ordinal);
        Assert.True(await raw.IsClosedByPeerAsync());
        await fixture.Logs.WaitForLineAsync("the refusal to be logged", "Rejected connection from", "wrong cluster id 'someone-else'", $"belongs to cluster '{fixture.Cluster.ClusterId}'");
        await fixture.AssertStillServingAsync();
    }

    [Fact]
    public async Task AClientOfAnotherClusterFailsToConnectWithTheReason()
    {
        await using var fixture = await Fixture.StartAsync();
        var options = new WeirClientOptions { ClusterId = "someone-else" };
        options.Gateways.Add(fixture.Target.Gateway.ToString());
        await using var client = new WeirClient(options);

        var failure = await Assert.ThrowsAsync<SiloUnavailableException>(() => client.ConnectAsync());

        Assert.Contains("wrong cluster id 'someone-else'", failure.Message, StringComparison.Ordinal);
        await fixture.AssertStillServingAsync();
    }

    [Fact]
    public async Task GarbageAfterTheHandshakeClosesThatConnectionOnly()
    {
        await using var fixture = await Fixture.StartAsync();
        await using var raw = await fixture.ConnectRawClientAsync();

        await raw.SendAsync([3, 0, 0, 0, 200, 1, 2]);

        Assert.True(await raw.IsClosedByPeerAsync());
        await fixture.Logs.WaitForLineAsync("the unknown frame to be logged", "garbage: unknown frame type 200");
        await fixture.AssertStillServingAsync();
    }

    [Fact]
    public async Task AMalformedRequestClosesThatConnectionOnly()
    {
        await using var fixture = await Fixture.StartAsync();
        await using var raw = await fixture.ConnectRawClientAsync();

        // A correlation id, then a string that claims more bytes than the frame holds.
        await raw.SendAsync(RawConnection.Frame(FrameType.Request, w =>
        {
            w.WriteVarUInt64(1);
            w.WriteVarUInt64(1000);
        }));

        Assert.True(await raw.IsClosedByPeerAsync());
        await fixture.Logs.WaitForLineAsync("the malformed frame to be logged", "a malformed Request frame", "claims 999 bytes");
        await fixture.AssertStillServingAsync();
    }

    [Fact]
    public async Task AClientMayNotSendSiloFrames()
    {
        await using var fixture = await Fixture.StartAsync();
        await using var raw = await fixture.ConnectRawClientAsync();

        await raw.SendAsync(RawConnection.Frame(FrameType.ChannelOpen, w =>
        {
            w.WriteVarUInt64(1);
            w.WriteString("sneaky");
        }));

        Assert.True(await raw.IsClosedByPeerAsync());
        await fixture.Logs.WaitForLineAsync("the refused frame to be logged", "a grain client sent a ChannelOpen frame, which only silos send");
    }

    [Fact]
    public async Task AClientCannotAnswerCallsItWasNeverSent()
    {
        await using var fixture = await Fixture.StartAsync();
        await using var raw = await fixture.ConnectRawClientAsync();

        await raw.SendAsync(RawConnection.Frame(FrameType.Response, w => ResponseBody.WriteOk(w, 1)));

        Assert.True(await raw.IsClosedByPeerAsync());
        await fixture.Logs.WaitForLineAsync("the forged answer to be logged", "a grain client sent a Response frame, which only silos send");
        await fixture.AssertStillServingAsync();
    }

    [Fact]
    public async Task ADialerThatSaysNothingIsCutOffAfterTheHandshakeTimeout()
    {
        await using var fixture = await Fixture.StartAsync(o => o.Cluster.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        await using var raw = await RawConnection.ConnectAsync(fixture.Target.Address.Endpoint);

        Assert.True(await raw.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        await fixture.Logs.WaitForLineAsync("the timeout to be logged", "no Hello within the handshake timeout of 300 ms");
    }

    [Fact]
    public async Task AClientOnTheSiloPortIsSentToTheGateway()
    {
        await using var fixture = await Fixture.StartAsync();
        await using var raw = await RawConnection.ConnectAsync(fixture.Target.Address.Endpoint);

        var ack = await raw.HandshakeAsync(fixture.Cluster.ClusterId, ConnectionRole.Client);

        Assert.Equal(RejectCode.WrongPort, ack.Rejection);
        Assert.Contains("clients connect to a gateway port", ack.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACallOverTheFrameCapFailsAtTheCallerAndNothingIsSent()
    {
        await using var fixture = await Fixture.StartAsync(o => o.Cluster.MaxFrameBytes = 64 * 1024);
        var grain = fixture.Cluster.Silos[0].Grains.GetGrain<IEchoGrain>(TestCluster.KeyOwnedBy(fixture.Target, "big"));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.EchoAsync(new string('x', 100_000)));

        Assert.Contains("exceeds the frame cap of 65536 bytes", failure.Message, StringComparison.Ordinal);
        Assert.EndsWith(":ok", await grain.EchoAsync("ok"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task APeerCannotQueueCallsWithoutBound()
    {
        await using var fixture = await Fixture.StartAsync();
        await using var raw = await fixture.ConnectRawClientAsync();
        var method = GrainMethod.For(typeof(IEchoGrain).GetMethod(nameof(IEchoGrain.WaitAsync))!);
        var key = TestCluster.KeyOwnedBy(fixture.Target, "flood");
        var limit = Weir.Grains.Transport.MessageCenter.MaxRequestsInFlightPerConnection;

        // One call runs for 10 s and every other one queues behind it: the one past the limit is refused at once.
        var frames = new List<byte>();
        for (var id = 1UL; id <= (ulong)limit + 1; id++)
        {
            frames.AddRange(RawConnection.Frame(FrameType.Request, w =>
            {
                new RequestHeader(id, new GrainId("echo", key), method.Id, 0, 0).Write(w);
                method.WriteArguments(w, [10_000]);
            }));
        }

        await raw.SendAsync([.. frames]);
        var (type, payload) = await raw.ReadFrameAsync();

        Assert.Equal(FrameType.Response, type);
        var reader = new Weir.Serialization.DataReader(payload);
        Assert.Equal((ulong)limit + 1, reader.ReadVarUInt64());
        Assert.Equal(ResponseStatus.Exception, ResponseBody.ReadStatus(ref reader, out var refusal));
        Assert.Contains($"has {limit} unanswered calls", Assert.IsType<SiloUnavailableException>(refusal).Message, StringComparison.Ordinal);
        await fixture.AssertStillServingAsync();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void AFrameLengthBelowOneIsGarbage(int length)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, length);
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.Equal(FrameParse.BadLength, Frames.TryRead(ref buffer, 1024, out _, out _, out var declared));
        Assert.Equal(length, declared);
    }

    [Fact]
    public void FramesAreCutOutOfSplitBuffersOnlyWhenWhole()
    {
        var frame = RawConnection.Frame(FrameType.Ping, w => w.WriteVarUInt64(300));
        var twice = frame.Concat(frame).ToArray();

        var partial = new ReadOnlySequence<byte>(twice.AsMemory(0, frame.Length - 1));
        Assert.Equal(FrameParse.Incomplete, Frames.TryRead(ref partial, 1024, out _, out _, out _));

        var whole = new ReadOnlySequence<byte>(twice);
        Assert.Equal(FrameParse.Frame, Frames.TryRead(ref whole, 1024, out var type, out var payload, out _));
        Assert.Equal((byte)FrameType.Ping, type);
        Assert.Equal(2, payload.Length);
        Assert.Equal(frame.Length, whole.Length);

        var capped = new ReadOnlySequence<byte>(frame);
        Assert.Equal(FrameParse.BadLength, Frames.TryRead(ref capped, 2, out _, out _, out _));
    }

    /// <summary>A cluster of two silos (the second is the target of the bad connections) and a client on the target's gateway.</summary>
    private sealed class Fixture : IAsyncDisposable
    {
        private Fixture(TestCluster cluster, WeirClient client)
        {
            Cluster = cluster;
            Client = client;
        }

        public TestCluster Cluster { get; }

        public WeirClient Client { get; }

        public TestClusterSilo Target => Cluster.Silos[1];

        public CapturingLoggerProvider Logs => Cluster.Logs;

        public static async Task<Fixture> StartAsync(Action<Weir.Grains.Hosting.SiloOptions>? configure = null)
        {
            var cluster = await TestCluster.StartAsync(2, configure);
            var options = new WeirClientOptions { ClusterId = cluster.ClusterId };
            options.Gateways.Add(cluster.Silos[1].Gateway.ToString());
            var client = new WeirClient(options);
            await client.ConnectAsync();
            var fixture = new Fixture(cluster, client);
            await fixture.AssertStillServingAsync();
            return fixture;
        }

        /// <summary>A raw connection to the target's gateway, past an accepted client handshake.</summary>
        public async Task<RawConnection> ConnectRawClientAsync()
        {
            var raw = await RawConnection.ConnectAsync(Target.Gateway);
            Assert.True((await raw.HandshakeAsync(Cluster.ClusterId, ConnectionRole.Client)).Accepted);
            return raw;
        }

        /// <summary>A silo-to-silo call into the target and a client call through its gateway both work.</summary>
        public async Task AssertStillServingAsync()
        {
            var key = TestCluster.KeyOwnedBy(Target, "still");
            Assert.Equal(Target.Address.ToString(), await Cluster.Silos[0].Grains.GetGrain<IEchoGrain>(key).WhereAsync().Within("a silo-to-silo call"));
            Assert.Equal($"{key}:hello", await Client.GetGrain<IEchoGrain>(key).EchoAsync("hello").Within("a client call"));
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Cluster.DisposeAsync();
        }
    }
}
