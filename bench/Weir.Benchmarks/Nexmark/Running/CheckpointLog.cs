using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Weir.Benchmarks.Nexmark.Running;

/// <summary>
/// Collects the checkpoint coordinator's log lines (trigger, completion with duration and size,
/// failures) with the time since the silo started, for <c>--verbose</c>: which checkpoints were
/// slow, and when. Everything else is dropped, as the benchmark logs nothing otherwise.
/// </summary>
internal sealed class CheckpointLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly long _started = Stopwatch.GetTimestamp();

    /// <summary>Takes the lines collected since the last call.</summary>
    public IReadOnlyList<string> Drain()
    {
        var lines = new List<string>();
        while (_lines.TryDequeue(out var line))
        {
            lines.Add(line);
        }

        return lines;
    }

    public ILogger CreateLogger(string categoryName) =>
        categoryName.Contains("Checkpoint", StringComparison.Ordinal) ? new Logger(this) : NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class Logger(CheckpointLog log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log._lines.Enqueue($"{Stopwatch.GetElapsedTime(log._started).TotalMilliseconds,9:0.0} ms  {formatter(state, exception)}");
    }

    private sealed class NullLogger : ILogger
    {
        public static readonly NullLogger Instance = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => false;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }
    }
}
