using System.Net;
using System.Net.Sockets;

namespace Weir.Testing;

/// <summary>Ports on the loopback interface that nothing listens on, for processes a test starts.</summary>
public static class LoopbackPorts
{
    /// <summary>
    /// <paramref name="count"/> distinct free ports: all are bound at once, so none is handed out
    /// twice, then released for the caller (which binds them soon after).
    /// </summary>
    public static int[] Free(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
