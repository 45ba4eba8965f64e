using Microsoft.Extensions.Logging;
using Weir.Checkpointing.Coordinator;
using Weir.Storage;
using Weir.Storage.InMemory;

namespace Weir.Checkpointing.Tests.Coordinator;

/// <summary>Deleting the shared files nothing needs: failures are logged and the rest go on; the summary names the job and counts only the files deleted; a fenced coordinator deletes nothing.</summary>
public sealed class SharedStateDisposalTests
{
    private readonly InMemoryCheckpointStore _inner = new(new ManualTimeProvider());
    private readonly RecordingLogger _logger = new();

    [Fact]
    public async Task A_failed_delete_is_logged_the_others_go_on_and_the_summary_counts_only_those_deleted_for_the_job()
    {
        var store = new FaultInjectingStore(_inner) { FailDelete = p => p.EndsWith("b", StringComparison.Ordinal) ? new IOException("disk gone") : null };
        string[] paths = ["job-7/shared/a", "job-7/shared/b", "job-7/shared/c"];
        foreach (var path in paths)
        {
            await _inner.WriteAsync(path, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct), WriteMode.CreateOnly);
        }

        var disposal = new SharedStateDisposal(store, new CoordinatorLog(_logger), () => false, () => "job-7");
        disposal.DeleteInBackground(paths);
        await disposal.Pending;

        Assert.Null(await _inner.GetFileAsync("job-7/shared/a"));
        Assert.NotNull(await _inner.GetFileAsync("job-7/shared/b"));
        Assert.Null(await _inner.GetFileAsync("job-7/shared/c"));
        Assert.Contains(_logger.Messages, m => m.Contains("job-7/shared/b", StringComparison.Ordinal));
        Assert.Contains("Deleted 2 shared state files of job job-7 that no checkpoint uses any more", _logger.Messages);
    }

    [Fact]
    public async Task A_fenced_coordinator_deletes_nothing()
    {
        await _inner.WriteAsync("job-7/shared/a", (s, ct) => s.WriteAsync(new byte[] { 1 }, ct), WriteMode.CreateOnly);
        var disposal = new SharedStateDisposal(_inner, new CoordinatorLog(_logger), () => true, () => "job-7");

        disposal.DeleteInBackground(["job-7/shared/a"]);
        await disposal.Pending;
        await disposal.DeleteAsync(["job-7/shared/a"]);

        Assert.NotNull(await _inner.GetFileAsync("job-7/shared/a"));
        Assert.Empty(_logger.Messages);
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add(formatter(state, exception));
            }
        }
    }
}
