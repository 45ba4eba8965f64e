using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Weir.Hosting.Storage;
using Weir.Storage;
using Weir.Streaming.Api;
using Weir.Streaming.Sinks;
using Weir.Streaming.Sources;
using Xunit.Abstractions;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// A checkpoint aborted while a subtask writes its keyed state, split between write threads into
/// several files, leaves none of those files behind, even when the writes land after the abort (a
/// write past its last cancellation check: a file's rename, a blob's commit).
/// </summary>
public sealed partial class AbortedCheckpointTests(ITestOutputHelper output)
{
    /// <summary>Enough keys in one subtask for two files of at least 65,536 entries each.</summary>
    private const int Keys = 150_000;

    [Fact]
    public async Task A_checkpoint_aborted_while_its_split_state_files_are_written_leaves_none_of_them_once_they_land()
    {
        var gate = new SplitFileGate();
        await using var silo = await TestSilo.StartAsync(
            services => services.AddSingleton<ICheckpointStoreFactory>(new GatedStores(new CheckpointStoreFactory([]), gate)),
            ("execution.checkpointing.interval", "200ms"),
            ("execution.checkpointing.timeout", "1s"),
            ("state.backend.snapshot.write-threads", "4"));

        var env = StreamExecutionEnvironment.Create(1);
        env.AddSource(new GeneratorSource<long>((_, i) => i % Keys, partitions: 1, recordsPerSecond: 400_000), "keys")
            .Uid("keys")
            .KeyBy(k => k)
            .Reduce((a, _) => a, "last")
            .Uid("last")
            .AddSink(new DiscardingSink<long>())
            .Uid("discard");
        var job = await silo.Jobs.SubmitAsync(env.Build("aborted-split"));

        // The first checkpoint whose state went to several files is held until the coordinator aborts it (timeout).
        var held = await gate.Held.Task.Within("a checkpoint's state split between files", TimeSpan.FromSeconds(60));
        await Eventually.Until(() => job.GetStatusAsync().Result.Checkpoints.Failed >= 1, "the held checkpoint aborted", TimeSpan.FromSeconds(30));
        var checkpointDirectory = Path.Combine(silo.CheckpointDirectory, "aborted-split", $"chk-{held}");

        // Now the held writes land, after the abort's deletes would have run.
        var landed = await gate.ReleaseAsync().Within("the held writes land", TimeSpan.FromSeconds(30));
        string[] left = [];
        for (var waited = 0; waited < 100; waited++)
        {
            left = Directory.Exists(checkpointDirectory) ? Directory.GetFiles(checkpointDirectory, "*", SearchOption.AllDirectories) : [];
            if (left.Length == 0)
            {
                break;
            }

            await Task.Delay(100);
        }

        output.WriteLine($"checkpoint {held}: {landed.Count} split state files held past the abort, then landed; {left.Length} files left in chk-{held} (waited for up to 10 s)");
        Assert.True(landed.Count >= 2, $"the held checkpoint wrote {landed.Count} state files; a split snapshot writes two or more");
        Assert.Empty(left);
        await job.CancelAsync();
    }

    /// <summary>Split keyed-state files (<c>chk-n/&lt;uid&gt;-&lt;subtask&gt;-&lt;id&gt;.&lt;i&gt;</c>) of the first checkpoint that writes them are held, then written whatever the abort.</summary>
    private sealed partial class SplitFileGate
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentBag<Task<string>> _writes = [];
        private long _checkpoint = -1;

        /// <summary>The held checkpoint's id, once its second file is held.</summary>
        public TaskCompletionSource<long> Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<StoredFile> WriteAsync(ICheckpointStore inner, string path, Func<Stream, CancellationToken, ValueTask> content, WriteMode mode, CancellationToken cancellationToken)
        {
            if (SplitFile().Match(path) is not { Success: true } match)
            {
                return inner.WriteAsync(path, content, mode, cancellationToken);
            }

            var checkpoint = long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (Interlocked.CompareExchange(ref _checkpoint, checkpoint, -1) != -1 && Interlocked.Read(ref _checkpoint) != checkpoint)
            {
                return inner.WriteAsync(path, content, mode, cancellationToken);
            }

            var write = HoldAsync(inner, path, content, mode);
            _writes.Add(write.ContinueWith(_ => path, TaskScheduler.Default));
            if (_writes.Count == 2)
            {
                Held.TrySetResult(checkpoint);
            }

            return write;
        }

        /// <summary>Lets the held writes go and waits until they land; the paths they wrote.</summary>
        public async Task<List<string>> ReleaseAsync()
        {
            _open.TrySetResult();
            return [.. await Task.WhenAll(_writes)];
        }

        private async Task<StoredFile> HoldAsync(ICheckpointStore inner, string path, Func<Stream, CancellationToken, ValueTask> content, WriteMode mode)
        {
            await _open.Task;

            // Past the point where the abort's cancellation reaches the write.
            return await inner.WriteAsync(path, content, mode, CancellationToken.None);
        }

        [GeneratedRegex(@"/chk-(\d+)/last-0-[0-9a-f]{32}\.\d+$")]
        private static partial Regex SplitFile();
    }

    private sealed class GatedStores(ICheckpointStoreFactory inner, SplitFileGate gate) : ICheckpointStoreFactory
    {
        private readonly ConcurrentDictionary<string, ICheckpointStore> _stores = new(StringComparer.Ordinal);

        public ICheckpointStore Open(string location) => _stores.GetOrAdd(location, l => new GatedStore(inner.Open(l), gate));
    }

    private sealed class GatedStore(ICheckpointStore inner, SplitFileGate gate) : ICheckpointStore
    {
        public Uri Location => inner.Location;

        public Task<StoredFile> WriteAsync(string path, Func<Stream, CancellationToken, ValueTask> content, WriteMode mode, CancellationToken cancellationToken = default) =>
            gate.WriteAsync(inner, path, content, mode, cancellationToken);

        public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default) => inner.OpenReadAsync(path, offset, length, cancellationToken);

        public Task<StoredFile?> GetFileAsync(string path, CancellationToken cancellationToken = default) => inner.GetFileAsync(path, cancellationToken);

        public IAsyncEnumerable<StoredFile> ListFilesAsync(string directory, CancellationToken cancellationToken = default) => inner.ListFilesAsync(directory, cancellationToken);

        public Task<IReadOnlyList<string>> ListDirectoriesAsync(string directory, CancellationToken cancellationToken = default) => inner.ListDirectoriesAsync(directory, cancellationToken);

        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);

        public Task<ICheckpointLease> AcquireLeaseAsync(string path, TimeSpan duration, CancellationToken cancellationToken = default) => inner.AcquireLeaseAsync(path, duration, cancellationToken);
    }
}
