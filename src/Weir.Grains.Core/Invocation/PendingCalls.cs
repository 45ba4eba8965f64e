using System.Collections.Concurrent;

namespace Weir.Grains.Invocation;

/// <summary>
/// A call sent to another process and not yet answered. It ends exactly once: with the
/// response, with a failure (the connection or silo it went to is gone), or with a timeout.
/// </summary>
internal abstract class PendingCall(long deadlineAt, object route)
{
    /// <summary>When the caller stops waiting, in <see cref="TimeProvider.GetTimestamp"/> units.</summary>
    public long DeadlineAt { get; } = deadlineAt;

    /// <summary>What the call went through (a silo address or a connection), to fail it when that goes away.</summary>
    public object Route { get; } = route;

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
/// The caller's side of remote calls: pending calls by correlation id. Responses complete them;
/// <see cref="Expire"/> (on a periodic sweep) times them out; <see cref="FailRoute"/> fails at once
/// every call that went through a lost connection or a dead silo.
/// </summary>
internal sealed class PendingCalls
{
    private readonly ConcurrentDictionary<ulong, PendingCall> _calls = new();
    private long _lastId;

    public int Count => _calls.Count;

    public ulong Add(PendingCall call)
    {
        var id = (ulong)Interlocked.Increment(ref _lastId);
        _calls[id] = call;
        return id;
    }

    /// <summary>Takes a call out without completing it (its request could not be sent).</summary>
    public bool TryRemove(ulong id, out PendingCall? call) => _calls.TryRemove(id, out call);

    /// <summary>
    /// Completes the call <paramref name="id"/> with a response that arrived through
    /// <paramref name="route"/>; false if it had already ended (e.g. timed out) or went out through
    /// another route (a response comes back on the connection its request left on, so a peer
    /// cannot answer calls it was never sent).
    /// </summary>
    public bool Complete(ulong id, object route, ReadOnlySpan<byte> body)
    {
        if (!_calls.TryGetValue(id, out var call) || !Equals(call.Route, route) || !_calls.TryRemove(id, out _))
        {
            return false;
        }

        try
        {
            call.OnResponse(body);
        }
        catch (Exception exception)
        {
            call.OnFailure(exception);
        }

        return true;
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

    /// <summary>Fails every call that went through <paramref name="route"/>.</summary>
    public int FailRoute(object route, Func<PendingCall, Exception> failure)
    {
        var failed = 0;
        foreach (var (id, call) in _calls)
        {
            if (Equals(call.Route, route) && _calls.TryRemove(id, out _))
            {
                call.OnFailure(failure(call));
                failed++;
            }
        }

        return failed;
    }
}
