namespace Weir.Grains;

/// <summary>
/// A call could not be delivered or answered because a silo is unavailable: the target silo
/// is shutting down, has stopped, was declared dead, or its connection was lost before the
/// answer arrived. Calls to a silo that died fail with it at once rather than time out.
/// </summary>
public sealed class SiloUnavailableException(string message) : Exception(message);

/// <summary>
/// Grain code on another silo threw an exception that cannot be rebuilt here (its type is not
/// loaded in this process, or it has no constructor taking a message).
/// <see cref="RemoteExceptionType"/> names the original type; the message is the original message.
/// </summary>
public sealed class GrainCallException : Exception
{
    /// <summary>Creates the exception for a remote exception of type <paramref name="remoteExceptionType"/>.</summary>
    public GrainCallException(string remoteExceptionType, string message)
        : base($"{remoteExceptionType}: {message}")
    {
        RemoteExceptionType = remoteExceptionType;
        RemoteMessage = message;
    }

    /// <summary>The full name of the exception type the grain threw.</summary>
    public string RemoteExceptionType { get; }

    /// <summary>The message of the exception the grain threw.</summary>
    public string RemoteMessage { get; }
}
