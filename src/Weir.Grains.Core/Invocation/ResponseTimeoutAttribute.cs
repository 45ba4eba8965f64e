namespace Weir.Grains.Invocation;

/// <summary>Sets the response timeout of one grain interface method, overriding the silo's (or client's) <c>ResponseTimeout</c>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ResponseTimeoutAttribute(double seconds) : Attribute
{
    /// <summary>The timeout.</summary>
    public TimeSpan Timeout { get; } = TimeSpan.FromSeconds(seconds);
}
