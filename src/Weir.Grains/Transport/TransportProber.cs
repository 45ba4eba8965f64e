using System.Collections.Concurrent;
using Weir.Grains.Membership;
using Weir.Grains.Wire;

namespace Weir.Grains.Transport;

/// <summary>
/// Probes a silo directly: a Ping on the connection to it (dialing one if needed), answered by
/// a Pong with the same number. A silo whose process died refuses the connection at once; one
/// that hangs or is cut off lets the probe time out.
/// </summary>
internal sealed class TransportProber(SiloConnections connections) : ISiloProber
{
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<bool>> _probes = new();
    private long _lastProbe;

    public async Task<bool> ProbeAsync(SiloAddress silo, CancellationToken cancellationToken)
    {
        Connection connection;
        try
        {
            connection = await connections.GetAsync(silo).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            return false;
        }

        var id = (ulong)Interlocked.Increment(ref _lastProbe);
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _probes[id] = answer;
        try
        {
            if (!connection.TrySend(FrameType.Ping, id, static (writer, id) => writer.WriteVarUInt64(id)))
            {
                return false;
            }

            using var cancel = cancellationToken.Register(() => answer.TrySetResult(false));
            return await answer.Task.ConfigureAwait(false);
        }
        finally
        {
            _probes.TryRemove(id, out _);
        }
    }

    public void OnPong(ulong id)
    {
        if (_probes.TryGetValue(id, out var answer))
        {
            answer.TrySetResult(true);
        }
    }
}
