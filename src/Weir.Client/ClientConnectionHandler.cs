using Weir.Grains;
using Weir.Grains.Invocation;
using Weir.Grains.Transport;
using Weir.Grains.Wire;
using Weir.Serialization;
using ProtocolViolationException = System.Net.ProtocolViolationException;

namespace Weir.Client;

/// <summary>A call waiting for its answer from the gateway.</summary>
internal sealed class ClientCall(long deadline, Connection connection, ICallCompletion completion, GrainId target, GrainMethod method, TimeSpan timeout)
    : PendingCall(deadline, connection)
{
    public override void OnResponse(ReadOnlySpan<byte> body) => completion.OnResponse(body);

    public override void OnFailure(Exception exception) => completion.OnFailure(exception);

    public override TimeoutException CreateTimeout() =>
        new($"The call {method.DisplayName} to grain {target} got no answer within {timeout.TotalMilliseconds:0} ms.");

    public override string Describe() => $"the call {method.DisplayName} to grain {target}";
}

/// <summary>The frames a gateway sends a client: responses, gateway lists, pongs.</summary>
internal sealed class ClientConnectionHandler(WeirClient client) : IConnectionHandler
{
    public void OnFrame(Connection connection, FrameType type, ReadOnlySpan<byte> payload)
    {
        switch (type)
        {
            case FrameType.Response:
                client.Pending.Complete(connection, payload);
                break;
            case FrameType.GatewaysChanged:
                var reader = new DataReader(payload);
                client.OnGatewaysChanged(GatewayList.Read(ref reader));
                break;
            case FrameType.Pong:
                break;
            default:
                throw new ProtocolViolationException($"a gateway sent a {type} frame, which clients do not take");
        }
    }

    public void OnClosed(Connection connection, string reason) => client.OnClosed(connection, reason);
}
