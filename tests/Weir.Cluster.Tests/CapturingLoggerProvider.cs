using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Weir.Cluster.Tests;

/// <summary>Keeps every formatted log line, so tests can assert what was logged (and await a line).</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public string Text => string.Join(Environment.NewLine, _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    /// <summary>Waits until a line contains every one of <paramref name="fragments"/>; returns it.</summary>
    public async Task<string> WaitForLineAsync(string what, params string[] fragments)
    {
        string? found = null;
        await Eventually.Until(() => (found = _lines.FirstOrDefault(l => fragments.All(f => l.Contains(f, StringComparison.Ordinal)))) is not null, what);
        return found!;
    }

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)}");
    }
}
