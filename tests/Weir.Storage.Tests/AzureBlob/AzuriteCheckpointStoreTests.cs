using Azure.Core;
using Azure.Core.Pipeline;
using Weir.Storage.AzureBlob;

namespace Weir.Storage.Tests.AzureBlob;

/// <summary>The checkpoint store contract, on Azurite: a fresh container per test, the store below a prefix in it.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzuriteCheckpointStoreTests(AzuriteFixture azurite) : CheckpointStoreConformance
{
    private readonly string _container = AzuriteFixture.NewContainerName("conformance");
    private readonly RecordingPolicy _recorder = new();

    protected override Task<ICheckpointStore> CreateStoreAsync() =>
        Task.FromResult<ICheckpointStore>(BlobCheckpointStore.Create(
            azurite.LocationOf(_container, "checkpoints/weir"),
            azurite.StoreOptions(o => o.Client.AddPolicy(_recorder, HttpPipelinePosition.BeforeTransport))));

    public override async Task DisposeAsync() => await azurite.CreateClient().DeleteContainerAsync(_container);

    [Fact]
    public async Task Files_land_as_blobs_below_the_prefix_in_flinks_layout()
    {
        await Store.WriteAsync(CheckpointLayout.MetadataPath("job-1", 3), new byte[] { 1, 2 }, WriteMode.CreateOnly);
        await Store.WriteAsync("job-1/shared/state-a", new byte[10], WriteMode.CreateOnly);

        var names = new List<string>();
        await foreach (var page in azurite.CreateClient().ListAllBlobsAsync(_container))
        {
            names.AddRange(page.Blobs.Select(b => b.Name));
        }

        Assert.Equal(["checkpoints/weir/job-1/chk-3/_metadata", "checkpoints/weir/job-1/shared/state-a"], names);
        Assert.Equal(new Uri($"{azurite.BlobEndpoint}/{_container}/checkpoints/weir/"), Store.Location);
        Assert.Empty(Store.Location.UserInfo);
        Assert.Empty(Store.Location.Query);
    }

    [Fact]
    public async Task Small_content_is_one_put_blob_and_large_content_is_staged_blocks_and_one_commit()
    {
        await Store.WriteAsync("job/small", new byte[4 * 1024 * 1024], WriteMode.CreateOnly);
        Assert.Equal(1, _recorder.Count("Put Blob"));
        Assert.Equal(0, _recorder.Count("Put Block"));

        _recorder.Clear();
        await Store.WriteAsync("job/large", new byte[(4 * 1024 * 1024) + 1], WriteMode.CreateOnly);
        Assert.Equal(0, _recorder.Count("Put Blob"));
        Assert.Equal(2, _recorder.Count("Put Block"));
        Assert.Equal(1, _recorder.Count("Put Block List"));
        Assert.Equal((4 * 1024 * 1024) + 1, (await Store.GetFileAsync("job/large"))!.Length);
    }

    [Fact]
    public async Task A_failed_large_write_commits_nothing_and_returns_every_buffer()
    {
        var pool = new CountingArrayPool();
        var store = BlobCheckpointStore.Create(
            azurite.LocationOf(_container, "bounded"),
            azurite.StoreOptions(o =>
            {
                o.BlockSize = 64 * 1024;
                o.MaxBlocksInFlight = 2;
                o.BufferPool = pool;
            }));

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(
            "job/chk-1/state",
            async (stream, ct) =>
            {
                await stream.WriteAsync(new byte[10 * 64 * 1024], ct);
                throw new InvalidOperationException("snapshot failed after ten blocks");
            },
            WriteMode.CreateOnly));

        Assert.Null(await store.GetFileAsync("job/chk-1/state"));
        Assert.Equal(0, pool.Outstanding);
        Assert.InRange(pool.Peak, 1, 2);
        await store.WriteAsync("job/chk-1/state", new byte[3 * 64 * 1024], WriteMode.CreateOnly);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public async Task Listing_follows_pages_and_reading_from_the_end_is_empty()
    {
        var store = BlobCheckpointStore.Create(azurite.LocationOf(_container), azurite.StoreOptions(o => o.ListPageSize = 2));
        foreach (var path in new[] { "j/chk-1/a", "j/chk-1/b", "j/chk-2/a", "j/chk-3/a", "j/shared/s", "j/taskowned/t" })
        {
            await store.WriteAsync(path, new byte[5], WriteMode.CreateOnly);
        }

        Assert.Equal(["chk-1", "chk-2", "chk-3", "shared", "taskowned"], await store.ListDirectoriesAsync("j"));
        var files = new List<string>();
        await foreach (var file in store.ListFilesAsync("j"))
        {
            files.Add(file.Path);
        }

        Assert.Equal(6, files.Count);
        Assert.Empty(await store.ReadAllBytesAsync("j/chk-1/a", offset: 5));
        Assert.Empty(await store.ReadAllBytesAsync("j/chk-1/a", offset: 2, length: 0));
        var outside = await Assert.ThrowsAsync<CheckpointStoreException>(() => store.OpenReadAsync("j/chk-1/a", 3, 5));
        Assert.Contains("which has 5 bytes", outside.Message);
        await Assert.ThrowsAsync<CheckpointStoreException>(() => store.OpenReadAsync("j/chk-1/a", 6));
    }

    [Fact]
    public async Task A_store_on_a_missing_container_reads_as_empty_and_creates_it_on_first_write()
    {
        var store = BlobCheckpointStore.Create(azurite.LocationOf(_container + "-new"), azurite.StoreOptions());
        try
        {
            Assert.Null(await store.GetFileAsync("a"));
            Assert.Empty(await store.ListDirectoriesAsync(string.Empty));
            Assert.False(await store.DeleteAsync("a"));
            await Assert.ThrowsAsync<CheckpointFileNotFoundException>(() => store.OpenReadAsync("a"));
            await store.WriteAsync("a", new byte[1], WriteMode.CreateOnly);
            Assert.NotNull(await store.GetFileAsync("a"));
        }
        finally
        {
            await azurite.CreateClient().DeleteContainerAsync(_container + "-new");
        }
    }

    [Theory]
    [InlineData("Put Blob", 1000)]
    [InlineData("Put Block List", (4 * 1024 * 1024) + 1000)]
    public async Task A_create_only_commit_whose_answer_was_lost_is_recognised_as_the_writes_own(string commit, int length)
    {
        var lose = new LoseFirstAnswerPolicy(commit);
        var logs = new CapturingLoggerProvider();
        var store = BlobCheckpointStore.Create(
            azurite.LocationOf(_container, "lost"),
            azurite.StoreOptions(o =>
            {
                o.Client.AddPolicy(lose, HttpPipelinePosition.BeforeTransport);
                o.LoggerFactory = logs;
            }));
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);

        var stored = await store.WriteAsync("job/chk-1/_metadata", bytes, WriteMode.CreateOnly);

        Assert.True(lose.Lost, $"the first {commit} answer was not dropped");
        Assert.Equal(length, stored.Length);
        Assert.Equal(bytes, await store.ReadAllBytesAsync("job/chk-1/_metadata"));
        Assert.Contains(logs.Lines, l => l.Contains($"{commit} of '{_container}/lost/job/chk-1/_metadata' failed (409 BlobAlreadyExists)", StringComparison.Ordinal));
        await Assert.ThrowsAsync<CheckpointFileExistsException>(() => store.WriteAsync("job/chk-1/_metadata", bytes, WriteMode.CreateOnly));
    }

    [Fact]
    public Task An_expired_lease_can_be_taken_over() => AssertAnExpiredLeaseCanBeTakenOverAsync(elapsed => Task.Delay(elapsed));

    [Fact]
    public async Task A_broken_lease_is_lost_to_its_holder_and_the_leased_blob_refuses_unleased_writes()
    {
        await using var lease = await Store.AcquireLeaseAsync(LeasePath, LeaseDuration);
        var blocked = await Assert.ThrowsAsync<BlobRequestException>(() => Store.WriteAsync(LeasePath, new byte[1], WriteMode.Overwrite));
        Assert.Equal(412, blocked.Status);

        await azurite.CreateClient().BreakLeaseAsync(_container, $"checkpoints/weir/{LeasePath}", TimeSpan.Zero);
        await using var successor = await Store.AcquireLeaseAsync(LeasePath, LeaseDuration);

        var lost = await Assert.ThrowsAsync<CheckpointLeaseException>(() => lease.RenewAsync());
        Assert.Contains("refused to renew", lost.Message);
        await successor.RenewAsync();
    }

    [Fact]
    public async Task An_acquire_whose_answer_was_lost_gets_the_lease_it_took()
    {
        var lose = new LoseFirstAnswerPolicy("Lease Blob");
        var store = BlobCheckpointStore.Create(
            azurite.LocationOf(_container, "lost-lease"),
            azurite.StoreOptions(o => o.Client.AddPolicy(lose, HttpPipelinePosition.BeforeTransport)));
        await store.WriteAsync("job/x", new byte[1], WriteMode.CreateOnly);

        await using var lease = await store.AcquireLeaseAsync(LeasePath, LeaseDuration);

        Assert.True(lose.Lost, "the first Lease Blob answer was not dropped");
        await lease.RenewAsync();
        await Assert.ThrowsAsync<CheckpointLeaseException>(() => store.AcquireLeaseAsync(LeasePath, LeaseDuration));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(61)]
    public async Task Lease_durations_outside_the_services_bounds_are_refused(int seconds)
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.AcquireLeaseAsync(LeasePath, TimeSpan.FromSeconds(seconds)));
        Assert.Contains("from 15 to 60", error.Message);
    }

    /// <summary>Lets the first request of one operation reach the service, then loses its answer (the pipeline retries).</summary>
    private sealed class LoseFirstAnswerPolicy(string operation) : HttpPipelinePolicy
    {
        public bool Lost { get; private set; }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline);
            if (!Lost && RecordingPolicy.OperationOf(message.Request) == operation)
            {
                Lost = true;
                message.Response.Dispose();
                throw new TaskCanceledException("Injected: the answer was lost.", new TimeoutException());
            }
        }
    }
}
