using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Weir.Benchmarks.Nexmark.Running;

/// <summary>
/// Listens to the checkpoint coordinator's log: every completed checkpoint with its job, duration
/// and size, stamped on the <see cref="Stopwatch"/> clock the <see cref="ThroughputProbe"/> uses, so
/// a run can pick the checkpoints of its measured interval; and, for <c>--verbose</c>, the lines
/// themselves. Everything else is dropped, as the benchmark logs nothing otherwise.
/// </summary>
internal sealed class CheckpointLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<Completion> _completions = new();
    private readonly long _started = Stopwatch.GetTimestamp();

    /// <summary>A completed checkpoint: when it was triggered and completed (Stopwatch ticks), how long it took, its size.</summary>
    public readonly record struct Completion(string JobId, long CheckpointId, long TriggeredAt, long CompletedAt, double DurationMs, long StateSize);

    /// <summary>Takes the lines collected since the last call.</summary>
    public IReadOnlyList<string> DrainLines()
    {
        var lines = new List<string>();
        while (_lines.TryDequeue(out var line))
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>Takes the completions collected since the last call.</summary>
    public IReadOnlyList<Completion> DrainCompletions()
    {
        var completions = new List<Completion>();
        while (_completions.TryDequeue(out var completion))
        {
            completions.Add(completion);
        }

        return completions;
    }

    public ILogger CreateLogger(string categoryName) =>
        categoryName.Contains("Checkpoint", StringComparison.Ordinal) ? new Logger(this) : NullLogger.Instance;

    public void Dispose()
    {
    }

    private void OnLog<TState>(EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var now = Stopwatch.GetTimestamp();
        _lines.Enqueue($"{Stopwatch.GetElapsedTime(_started, now).TotalMilliseconds,9:0.0} ms  {formatter(state, exception)}");
        if (state is IReadOnlyList<KeyValuePair<string, object?>> fields
            && Field(fields, "CheckpointId") is long id
            && Field(fields, "JobId") is string job
            && Field(fields, "DurationMs") is double duration
            && Field(fields, "StateSize") is long size)
        {
            var triggeredAt = now - (long)(duration / 1000 * Stopwatch.Frequency);
            _completions.Enqueue(new Completion(job, id, triggeredAt, now, duration, size));
        }
    }

    private static object? Field(IReadOnlyList<KeyValuePair<string, object?>> fields, string name)
    {
        foreach (var (key, value) in fields)
        {
            if (key == name)
            {
                return value;
            }
        }

        return null;
    }

    private sealed class Logger(CheckpointLog log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.OnLog(eventId, state, exception, formatter);
    }
}
