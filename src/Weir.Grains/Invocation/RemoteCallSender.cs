using Weir.Grains.Transport;
using Weir.Grains.Wire;

namespace Weir.Grains.Invocation;

/// <summary>
/// Sends calls to grains owned by other silos: registers the call among the pending calls
/// (which time it out like a local call), encodes it as a Request on the connection to the
/// owner (dialing one if needed), and completes it when the Response arrives. A call whose
/// connection cannot be made or is lost fails at once with <see cref="SiloUnavailableException"/>.
/// </summary>
internal sealed class RemoteCallSender(SiloConnections connections, PendingCalls pending, TimeProvider clock)
{
    public void Send(SiloAddress owner, GrainId grainId, Message message)
    {
        if (message.ForwardCount > RequestHeader.MaxForwardCount)
        {
            message.Fail(new SiloUnavailableException(
                $"The call {message.Describe()} to grain {grainId} was forwarded {RequestHeader.MaxForwardCount} times: the silos' views of the cluster disagree while it changes. Retry the call."));
            return;
        }

        if (connections.TryGetOpen(owner, out var connection))
        {
            SendOn(connection, grainId, message);
        }
        else
        {
            _ = SendWhenConnectedAsync(owner, grainId, message);
        }
    }

    private async Task SendWhenConnectedAsync(SiloAddress owner, GrainId grainId, Message message)
    {
        Connection connection;
        try
        {
            var dial = connections.GetAsync(owner);
            connection = message.Deadline.At == long.MaxValue
                ? await dial.ConfigureAwait(false)
                : await dial.WaitAsync(Remaining(message), clock).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            message.Fail(GrainRuntime.TimeoutFor(grainId, message));
            return;
        }
        catch (Exception exception)
        {
            message.Fail(exception as SiloUnavailableException
                ?? new SiloUnavailableException($"Silo {owner} is unavailable ({exception.Message}): the call {message.Describe()} to grain {grainId} was not sent."));
            return;
        }

        SendOn(connection, grainId, message);
    }

    private void SendOn(Connection connection, GrainId grainId, Message message)
    {
        var timeout = message.Deadline.At == long.MaxValue ? Timeout.InfiniteTimeSpan : Remaining(message);
        var header = new RequestHeader(0, grainId, message.WireMethod!.Id, RequestHeader.ToMilliseconds(timeout), message.ForwardCount);
        pending.Send(new MessageCall(message, grainId, connection), header, message, static (writer, message) => message.WriteArguments(writer));
    }

    private TimeSpan Remaining(Message message)
    {
        var remaining = clock.GetElapsedTime(clock.GetTimestamp(), message.Deadline.At);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    /// <summary>A local message waiting for a remote answer.</summary>
    private sealed class MessageCall(Message message, GrainId grainId, Connection connection) : PendingCall(message.Deadline.At, connection)
    {
        public override void OnResponse(ReadOnlySpan<byte> body) => message.CompleteFromWire(body);

        public override void OnFailure(Exception exception) => message.Fail(exception);

        public override TimeoutException CreateTimeout() => GrainRuntime.TimeoutFor(grainId, message);

        public override string Describe() => $"the call {message.Describe()} to grain {grainId}";
    }
}
