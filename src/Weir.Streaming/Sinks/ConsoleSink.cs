using Weir.Streaming.Functions;

namespace Weir.Streaming.Sinks;

/// <summary>Prints records to standard output, prefixed by the subtask ("2> record") when parallel. At-least-once: replayed records print again.</summary>
public sealed class ConsoleSink<T>(TextWriter? writer = null) : SinkFunction<T>
{
    private string _prefix = string.Empty;

    /// <inheritdoc />
    public override void Open(SinkContext context) => _prefix = context.Parallelism > 1 ? $"{context.SubtaskIndex + 1}> " : string.Empty;

    /// <inheritdoc />
    public override void Invoke(T value, long? timestamp) => (writer ?? Console.Out).WriteLine(_prefix + value);
}
