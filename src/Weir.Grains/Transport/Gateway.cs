using System.Collections.Concurrent;
using System.Net;
using Weir.Grains.Wire;

namespace Weir.Grains.Transport;

/// <summary>
/// The grain clients connected to this silo's gateway port. A client's HelloAck carries what it
/// needs to address grains (the map from grain interface to grain type) and the cluster's
/// gateways, which are pushed again whenever they change, so a client whose gateway dies knows
/// where to reconnect. Clients send calls (and pings); their calls are handled like calls from
/// silos: run here or forwarded to the grain's owner, the answer relayed back.
/// </summary>
internal sealed class Gateway(IConnectionHandler handler, Func<SiloAddress> localSilo, string siloName, Func<IReadOnlyList<KeyValuePair<string, string>>> grainInterfaces)
{
    private readonly ConcurrentDictionary<Connection, byte> _clients = new();
    private IReadOnlyList<IPEndPoint> _gateways = [];

    public int ClientCount => _clients.Count;

    public HelloAck Accept(Hello hello, Connection connection)
    {
        var ack = HelloAck.Accept(localSilo(), siloName, grainInterfaces(), _gateways);
        _clients[connection] = 0;
        connection.Start(handler, ack);
        return ack;
    }

    public void OnClosed(Connection connection) => _clients.TryRemove(connection, out _);

    /// <summary>Tells every client the active gateways, if they changed.</summary>
    public void PublishGateways(IReadOnlyList<IPEndPoint> gateways)
    {
        if (gateways.SequenceEqual(_gateways))
        {
            return;
        }

        _gateways = gateways;
        foreach (var client in _clients.Keys)
        {
            client.TrySend(FrameType.GatewaysChanged, gateways, static (writer, list) => GatewayList.Write(writer, list));
        }
    }

    public void CloseAll(string reason)
    {
        foreach (var client in _clients.Keys)
        {
            client.Close(reason, CloseKind.Local);
        }
    }
}
