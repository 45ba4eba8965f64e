using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Weir.Benchmarks.Nexmark.Queries;
using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.Sinks;

namespace Weir.Benchmarks.Nexmark.Output;

/// <summary>The benchmark's sink: counts result rows and drops them (Flink Nexmark's <c>blackhole</c> connector).</summary>
public sealed class CountingResultSinks : IResultSinks
{
    private readonly RowCounter _rows = new();

    /// <summary>Rows the sinks received (known once the job ended).</summary>
    public long Rows => _rows.Count;

    /// <inheritdoc />
    public void Add<T>(DataStream<T> rows, string query)
    {
        ArgumentNullException.ThrowIfNull(rows);
        rows.AddSink(new CountingSink<T>(_rows), "blackhole").Uid($"{query}-blackhole");
    }

    private sealed class RowCounter
    {
        private long _count;

        public long Count => Volatile.Read(ref _count);

        public void Add(long rows) => Interlocked.Add(ref _count, rows);
    }

    /// <summary>Counts per subtask (a shallow copy each), adding to the shared count when the subtask stops.</summary>
    private sealed class CountingSink<T>(RowCounter counter) : SinkFunction<T>
    {
        private long _count;

        public override void Invoke(T value, long? timestamp) => _count++;

        public override void Close()
        {
            counter.Add(_count);
            _count = 0;
        }
    }
}

/// <summary>
/// Writes result rows as JSON lines (<c>--output</c>), exactly once: a transactional sink whose
/// transactions are appended to the file when their checkpoint completes (each transaction once,
/// however often a restore commits it again). Rows are System.Text.Json objects with camelCase
/// names. For checking results: it buffers a checkpoint's rows and serializes each, so do not time it.
/// </summary>
public sealed class JsonLinesResultSinks(string path) : IResultSinks
{
    private static readonly ConcurrentDictionary<string, JsonLinesFile> Files = new(StringComparer.Ordinal);

    /// <summary>Rows written.</summary>
    public long Rows => Files.TryGetValue(Path.GetFullPath(path), out var file) ? file.Rows : 0;

    /// <inheritdoc />
    public void Add<T>(DataStream<T> rows, string query)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var file = Files.GetOrAdd(Path.GetFullPath(path), p => new JsonLinesFile(p));
        rows.AddSink(new JsonLinesSink<T>(file), "json lines").Uid($"{query}-json-lines");
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Close()
    {
        if (Files.TryRemove(Path.GetFullPath(path), out var file))
        {
            file.Dispose();
        }
    }

    private sealed class JsonLinesSink<T>(JsonLinesFile file) : TransactionalSink<T>
    {
        protected override void Commit(string transactionId, IReadOnlyList<T> records) => file.Append(transactionId, records);
    }

    private sealed class JsonLinesFile(string path) : IDisposable
    {
        private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = false };
        private readonly object _lock = new();
        private readonly HashSet<string> _committed = new(StringComparer.Ordinal);
        private readonly StreamWriter _writer = new(path, append: false, new UTF8Encoding(false));
        private long _rows;

        public long Rows => Interlocked.Read(ref _rows);

        public void Append<T>(string transactionId, IReadOnlyList<T> records)
        {
            lock (_lock)
            {
                if (!_committed.Add(transactionId))
                {
                    return;
                }

                foreach (var record in records)
                {
                    _writer.Write(JsonSerializer.Serialize(record, Options));
                    _writer.Write('\n');
                }

                _rows += records.Count;
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                _writer.Dispose();
            }
        }
    }
}
