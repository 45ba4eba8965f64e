using Weir.Grains.Cluster;
using Weir.Grains.Invocation;
using Weir.Grains.Wire;
using Weir.Serialization;
using ProtocolViolationException = System.Net.ProtocolViolationException;

namespace Weir.Grains.Transport;

/// <summary>
/// Handles the frames of every connection of a clustered silo. Silos and clients may send
/// calls (Request) and probes (Ping); only silos may send the rest (Response, Pong,
/// MembershipChanged, channel frames), and a Response only completes a call that went out on
/// the same connection. A call is delivered like a local one: to the
/// local activation if this silo owns the grain, else forwarded to the owner. One connection
/// may have at most <see cref="MaxRequestsInFlightPerConnection"/> calls unanswered here; further
/// calls are refused at once with <see cref="SiloUnavailableException"/>.
/// </summary>
internal sealed class MessageCenter(ClusterRuntime cluster) : IConnectionHandler
{
    /// <summary>Unanswered calls one connection may have here; more are refused at once, so no peer can queue without bound.</summary>
    public const int MaxRequestsInFlightPerConnection = 16_384;

    public void OnFrame(Connection connection, FrameType type, ReadOnlySpan<byte> payload)
    {
        var reader = new DataReader(payload);
        switch (type)
        {
            case FrameType.Request:
                OnRequest(connection, ref reader);
                return;
            case FrameType.Ping:
                connection.TrySend(FrameType.Pong, reader.ReadVarUInt64(), static (writer, id) => writer.WriteVarUInt64(id));
                return;
        }

        if (connection.Role != ConnectionRole.Silo)
        {
            throw new ProtocolViolationException($"a grain client sent a {type} frame, which only silos send");
        }

        switch (type)
        {
            case FrameType.Response:
                cluster.PendingCalls.Complete(connection, payload);
                break;
            case FrameType.Pong:
                cluster.Prober.OnPong(reader.ReadVarUInt64());
                break;
            case FrameType.MembershipChanged:
                cluster.Membership.RequestRefresh();
                break;
            case FrameType.ChannelOpen or FrameType.ChannelData or FrameType.ChannelPriority or FrameType.ChannelCredit or FrameType.ChannelEnd or FrameType.ChannelReject:
                cluster.Channels.OnFrame(connection, type, payload);
                break;
            default:
                throw new ProtocolViolationException($"a {type} frame after the handshake");
        }
    }

    public void OnClosed(Connection connection, string reason)
    {
        if (connection.Role == ConnectionRole.Silo)
        {
            cluster.Connections.OnClosed(connection);
            cluster.Channels.OnConnectionClosed(connection, reason);
        }
        else
        {
            cluster.Gateway.OnClosed(connection);
        }

        cluster.PendingCalls.FailConnection(connection, call => new SiloUnavailableException(
            $"The connection to {connection.Peer} closed ({reason}) before {call.Describe()} was answered."));
    }

    private void OnRequest(Connection connection, ref DataReader reader)
    {
        var header = RequestHeader.Read(ref reader);
        var arguments = reader.ReadRaw(reader.Remaining).ToArray();
        var runtime = cluster.Runtime;
        var grainClass = runtime.Registry.FindByName(header.Target.Type);
        GrainMethodInvoker? invoker;
        try
        {
            invoker = grainClass?.FindMethod(header.MethodId);
        }
        catch (Exception exception)
        {
            Refuse(connection, header.CorrelationId, new InvalidOperationException($"Grain type '{header.Target.Type}' cannot take calls from other processes: {exception.Message}"));
            return;
        }

        if (grainClass is null)
        {
            Refuse(connection, header.CorrelationId, new InvalidOperationException($"No grain class has grain type '{header.Target.Type}' on silo {cluster.LocalSilo}."));
            return;
        }

        if (invoker is null)
        {
            Refuse(connection, header.CorrelationId, new InvalidOperationException(
                $"Grain type '{header.Target.Type}' has no method with id {header.MethodId:x8} on silo {cluster.LocalSilo}: do the caller and the silo use the same version of the grain interface?"));
            return;
        }

        if (!connection.TryBeginRequest(MaxRequestsInFlightPerConnection))
        {
            Refuse(connection, header.CorrelationId, new SiloUnavailableException(
                $"Silo {cluster.LocalSilo} has {MaxRequestsInFlightPerConnection} unanswered calls from {connection.Peer}: the call {invoker.DisplayName} to grain {header.Target} was refused."));
            return;
        }

        var deadline = header.TimeoutMilliseconds == 0
            ? CallDeadline.Never
            : new CallDeadline(
                runtime.TimeProvider.GetTimestamp() + header.TimeoutMilliseconds * runtime.TimeProvider.TimestampFrequency / 1000,
                TimeSpan.FromMilliseconds(header.TimeoutMilliseconds));
        runtime.Deliver(header.Target, grainClass, new InboundCall(invoker, arguments, header.CorrelationId, header.ForwardCount, connection, deadline));
    }

    private static void Refuse(Connection connection, ulong correlationId, Exception exception) =>
        connection.TrySend(FrameType.Response, (correlationId, exception), static (writer, state) => ResponseBody.WriteException(writer, state.correlationId, state.exception));
}
