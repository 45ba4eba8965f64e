using System.Net;
using Microsoft.Extensions.Logging;

namespace Weir.Grains.Transport;

/// <summary>The transport's log events.</summary>
internal static partial class TransportLog
{
    [LoggerMessage(100, LogLevel.Warning, "Closed connection {Connection}: {Reason}")]
    public static partial void ClosedOnViolation(ILogger logger, string connection, string reason);

    [LoggerMessage(101, LogLevel.Information, "Connection {Connection} closed: {Reason}")]
    public static partial void ClosedByPeer(ILogger logger, string connection, string reason);

    [LoggerMessage(102, LogLevel.Debug, "Closed connection {Connection}: {Reason}")]
    public static partial void ClosedLocally(ILogger logger, string connection, string reason);

    [LoggerMessage(103, LogLevel.Warning, "Rejected connection from {Remote}: {Reason}")]
    public static partial void Rejected(ILogger logger, IPEndPoint? remote, string reason);

    [LoggerMessage(104, LogLevel.Debug, "Connection {Connection} established")]
    public static partial void Established(ILogger logger, string connection);

    [LoggerMessage(105, LogLevel.Warning, "Accepting connections on {Endpoint} failed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception, IPEndPoint endpoint);

    [LoggerMessage(106, LogLevel.Error, "Closing connection {Connection}: handling its frame failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string connection);
}
