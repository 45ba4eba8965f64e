using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Weir.Grains;
using Weir.Grains.Wire;
using Weir.Serialization;

namespace Weir.Cluster.Tests;

/// <summary>A bare TCP connection that speaks (or breaks) Weir's wire protocol byte by byte.</summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private readonly Socket _socket;

    private RawConnection(Socket socket) => _socket = socket;

    public static async Task<RawConnection> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint);
        return new RawConnection(socket);
    }

    public static byte[] Frame(FrameType type, Action<DataWriter> write, bool preamble = false)
    {
        var writer = new DataWriter();
        if (preamble)
        {
            writer.WriteRaw(Frames.Preamble);
        }

        var start = Frames.Begin(writer, type);
        write(writer);
        Frames.End(writer, start);
        return writer.ToArray();
    }

    public static byte[] HelloFrame(string clusterId, ConnectionRole role, SiloAddress? silo = null) =>
        Frame(FrameType.Hello, w => new Hello(Hello.CurrentVersion, role, clusterId, silo, "raw").Write(w), preamble: true);

    public Task SendAsync(byte[] bytes) => _socket.SendAsync(bytes);

    /// <summary>Sends a Hello and returns the acceptor's answer.</summary>
    public async Task<HelloAck> HandshakeAsync(string clusterId, ConnectionRole role, SiloAddress? silo = null)
    {
        await SendAsync(HelloFrame(clusterId, role, silo));
        var preamble = await ReadExactlyAsync(4);
        Assert.Equal(Frames.Preamble.ToArray(), preamble);
        var (type, payload) = await ReadFrameAsync();
        Assert.Equal(FrameType.HelloAck, type);
        return HelloAck.Read(payload);
    }

    public async Task<(FrameType Type, byte[] Payload)> ReadFrameAsync()
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(await ReadExactlyAsync(4));
        var frame = await ReadExactlyAsync(length);
        return ((FrameType)frame[0], frame[1..]);
    }

    /// <summary>True once the peer closed (end of stream or reset) within the timeout; bytes that arrive first are skipped.</summary>
    public async Task<bool> IsClosedByPeerAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                if (await _socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<byte[]> ReadExactlyAsync(int count)
    {
        var buffer = new byte[count];
        var read = 0;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (read < count)
        {
            var n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancel.Token);
            if (n == 0)
            {
                throw new IOException($"The peer closed the connection after {read} of {count} bytes.");
            }

            read += n;
        }

        return buffer;
    }
}
