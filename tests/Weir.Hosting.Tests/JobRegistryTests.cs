using Weir.Checkpointing.Configuration;
using Weir.Hosting.Jobs;
using Weir.Hosting.Storage;
using Weir.Storage;
using Weir.Storage.InMemory;
using Weir.Streaming.Api;
using Weir.Streaming.Graph;

namespace Weir.Hosting.Tests;

/// <summary>
/// The registry of a silo that did not take the submission (its subtasks build jobs from the
/// persisted record): a job id submitted again with another spec is rebuilt for the new attempt,
/// never run with the graph of the earlier submission.
/// </summary>
public sealed class JobRegistryTests
{
    private readonly InMemoryCheckpointStore _store = new();
    private readonly CountingFactory _factory = new();
    private readonly JobRegistry _registry;

    public JobRegistryTests() =>
        _registry = new JobRegistry([_factory], new OneStore(_store), WeirOptions.Default.With(("execution.checkpointing.dir", "/checkpoints")));

    [Fact]
    public async Task A_job_submitted_again_with_another_spec_is_rebuilt_for_its_next_attempt()
    {
        await RecordAsync(Spec(parallelism: "1"), attempt: 0);
        var first = await _registry.GetAsync("job", attempt: 0);
        Assert.Equal("1", first.Spec!.Parameters["parallelism"]);

        // Submitted again (through another silo's job master): attempt numbers go on.
        await RecordAsync(Spec(parallelism: "3"), attempt: 1);
        var second = await _registry.GetAsync("job", attempt: 1);

        Assert.Equal("3", second.Spec!.Parameters["parallelism"]);
        Assert.NotSame(first.Graph, second.Graph);
        Assert.Equal(2, _factory.Builds);
    }

    [Fact]
    public async Task A_restart_with_the_same_spec_reuses_the_built_job_and_reads_the_record_once_per_attempt()
    {
        await RecordAsync(Spec(parallelism: "2"), attempt: 0);
        var first = await _registry.GetAsync("job", attempt: 0);
        await RecordAsync(Spec(parallelism: "2"), attempt: 1);
        var restarted = await _registry.GetAsync("job", attempt: 1);

        // Every subtask of an attempt asks; the record is not read again for the same attempt.
        await _store.DeleteAsync($"job/{JobSpecStore.FileName}");
        var again = await _registry.GetAsync("job", attempt: 1);

        Assert.Same(first, restarted);
        Assert.Same(first, again);
        Assert.Equal(1, _factory.Builds);
    }

    [Fact]
    public async Task The_subtasks_of_an_attempt_deploying_at_once_read_the_record_once()
    {
        await RecordAsync(Spec(parallelism: "2"), attempt: 0);
        var gated = new GatedStore(_store);
        var registry = new JobRegistry([_factory], new OneStore(gated), WeirOptions.Default.With(("execution.checkpointing.dir", "/checkpoints")));

        var deploying = Enumerable.Range(0, 20).Select(_ => registry.GetAsync("job", attempt: 0)).ToArray();
        gated.Open();
        var submissions = await Task.WhenAll(deploying);

        Assert.Equal(1, gated.Reads);
        Assert.Equal(1, _factory.Builds);
        Assert.All(submissions, s => Assert.Same(submissions[0], s));
    }

    private static JobSpec Spec(string parallelism) =>
        new("job", CountingFactory.JobName, new Dictionary<string, string> { ["parallelism"] = parallelism }, [], RestorePath: null);

    private Task RecordAsync(JobSpec spec, int attempt) => JobSpecStore.SaveAsync(_store, new PersistedJob(spec, Running: true, attempt));

    private sealed class OneStore(ICheckpointStore store) : ICheckpointStoreFactory
    {
        public ICheckpointStore Open(string location) => store;
    }

    /// <summary>Reads wait until <see cref="Open"/>, so callers arriving together overlap; counts them.</summary>
    private sealed class GatedStore(ICheckpointStore inner) : ICheckpointStore
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;

        public int Reads => _reads;

        public Uri Location => inner.Location;

        public void Open() => _open.SetResult();

        public async Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _reads);
            await _open.Task;
            return await inner.OpenReadAsync(path, offset, length, cancellationToken);
        }

        public Task<StoredFile> WriteAsync(string path, Func<Stream, CancellationToken, ValueTask> content, WriteMode mode, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(path, content, mode, cancellationToken);

        public Task<StoredFile?> GetFileAsync(string path, CancellationToken cancellationToken = default) => inner.GetFileAsync(path, cancellationToken);

        public IAsyncEnumerable<StoredFile> ListFilesAsync(string directory, CancellationToken cancellationToken = default) => inner.ListFilesAsync(directory, cancellationToken);

        public Task<IReadOnlyList<string>> ListDirectoriesAsync(string directory, CancellationToken cancellationToken = default) => inner.ListDirectoriesAsync(directory, cancellationToken);

        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);
    }

    private sealed class CountingFactory : IJobFactory
    {
        public const string JobName = "counting";

        public int Builds { get; private set; }

        public string Name => JobName;

        public JobGraph Build(JobSpec spec, WeirOptions options)
        {
            Builds++;
            var env = StreamExecutionEnvironment.Create(int.Parse(spec.Parameters["parallelism"], System.Globalization.CultureInfo.InvariantCulture));
            env.FromCollection([1, 2, 3]).Print();
            return env.Build(spec.JobId);
        }

        public Task<JobReport> ReportAsync(JobReportContext context) => Task.FromResult(new JobReport([], 0));
    }
}
