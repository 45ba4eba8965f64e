using System.Collections.Concurrent;
using Weir.Grains.Transport;
using Weir.Grains.Wire;
using Weir.Serialization;

namespace Weir.Grains.Invocation;

/// <summary>
/// A call sent to another process and not yet answered. It ends exactly once: with the
/// response, with a failure (the connection or silo it went to is gone), or with a timeout.
/// </summary>
internal abstract class PendingCall(long deadlineAt, Connection connection)
{
    /// <summary>When the caller stops waiting, in <see cref="TimeProvider.GetTimestamp"/> units.</summary>
    public long DeadlineAt { get; } = deadlineAt;

    /// <summary>The connection the request goes out on: only its peer may answer, and the call fails when it closes.</summary>
    public Connection Connection { get; } = connection;

    /// <summary>The response arrived: <paramref name="body"/> is its status and result or exception.</summary>
    public abstract void OnResponse(ReadOnlySpan<byte> body);

    /// <summary>The call will never be answered.</summary>
    public abstract void OnFailure(Exception exception);

    /// <summary>The exception for a call that got no answer in time, naming grain and method.</summary>
    public abstract TimeoutException CreateTimeout();

    /// <summary><c>the call IInterface.Method to grain type/key</c>, for messages.</summary>
    public abstract string Describe();
}

/// <summary>
/// The caller's side of remote calls: pending calls by correlation id. <see cref="Send{TArguments}"/>
/// registers a call and sends its request; responses complete it; <see cref="Expire"/> (on a periodic
/// sweep) times it out; <see cref="FailConnection"/> fails at once every call that went out on a lost
/// connection.
/// </summary>
internal sealed class PendingCalls
{
    private readonly ConcurrentDictionary<ulong, PendingCall> _calls = new();
    private long _lastId;

    /// <summary>
    /// Registers <paramref name="call"/> and sends its Request on <see cref="PendingCall.Connection"/>:
    /// <paramref name="header"/> with the correlation id assigned here, then the arguments that
    /// <paramref name="writeArguments"/> encodes. A request that cannot go out ends the call at once:
    /// with the encoding failure (an argument without a serializer, a frame over the cap), or with
    /// <see cref="SiloUnavailableException"/> if the connection closed.
    /// </summary>
    public void Send<TArguments>(PendingCall call, RequestHeader header, TArguments arguments, Action<DataWriter, TArguments> writeArguments)
    {
        var id = (ulong)Interlocked.Increment(ref _lastId);
        _calls[id] = call;
        bool sent;
        try
        {
            sent = call.Connection.TrySend(FrameType.Request, (header with { CorrelationId = id }, arguments, writeArguments), static (writer, state) =>
            {
                state.Item1.Write(writer);
                state.writeArguments(writer, state.arguments);
            });
        }
        catch (Exception exception)
        {
            if (_calls.TryRemove(id, out _))
            {
                call.OnFailure(exception);
            }

            return;
        }

        if (!sent && _calls.TryRemove(id, out _))
        {
            call.OnFailure(new SiloUnavailableException($"The connection to {call.Connection} closed before {call.Describe()} was sent."));
        }
    }

    /// <summary>
    /// Completes the call that a Response frame (<paramref name="response"/>: the correlation id,
    /// then the body) answers, if it arrived on the connection the request left on: a peer cannot
    /// answer calls it was never sent. A call that already ended (e.g. timed out) is not completed again.
    /// </summary>
    public void Complete(Connection connection, ReadOnlySpan<byte> response)
    {
        var reader = new DataReader(response);
        var id = reader.ReadVarUInt64();
        if (!_calls.TryGetValue(id, out var call) || !ReferenceEquals(call.Connection, connection) || !_calls.TryRemove(id, out _))
        {
            return;
        }

        try
        {
            call.OnResponse(response[reader.Position..]);
        }
        catch (Exception exception)
        {
            call.OnFailure(exception);
        }
    }

    /// <summary>Times out every call whose deadline is at or before <paramref name="now"/>.</summary>
    public void Expire(long now)
    {
        foreach (var (id, call) in _calls)
        {
            if (call.DeadlineAt <= now && _calls.TryRemove(id, out _))
            {
                call.OnFailure(call.CreateTimeout());
            }
        }
    }

    /// <summary>Fails every call that went out on <paramref name="connection"/>.</summary>
    public void FailConnection(Connection connection, Func<PendingCall, Exception> failure)
    {
        foreach (var (id, call) in _calls)
        {
            if (ReferenceEquals(call.Connection, connection) && _calls.TryRemove(id, out _))
            {
                call.OnFailure(failure(call));
            }
        }
    }
}
