using Weir.Streaming.Functions;

namespace Weir.Streaming.Sinks;

/// <summary>Drops every record (for jobs whose result is their state, and for benchmarks).</summary>
public sealed class DiscardingSink<T> : SinkFunction<T>
{
    /// <inheritdoc />
    public override void Invoke(T value, long? timestamp)
    {
    }
}
