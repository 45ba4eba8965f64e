using System.Net;
using Microsoft.Extensions.Logging;

namespace Weir.Client;

/// <summary>The client's log events.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(300, LogLevel.Information, "Connected to gateway {Gateway} (silo {Silo}) of cluster {ClusterId}")]
    public static partial void Connected(ILogger logger, IPEndPoint gateway, Weir.Grains.SiloAddress silo, string clusterId);

    [LoggerMessage(301, LogLevel.Warning, "Lost gateway {Gateway}: {Reason}; reconnecting")]
    public static partial void Lost(ILogger logger, IPEndPoint? gateway, string reason);

    [LoggerMessage(302, LogLevel.Debug, "Gateway {Gateway} failed: {Reason}")]
    public static partial void AttemptFailed(ILogger logger, string gateway, string reason);

    [LoggerMessage(303, LogLevel.Warning, "Reading gateways from the membership table failed")]
    public static partial void TableReadFailed(ILogger logger, Exception exception);
}
