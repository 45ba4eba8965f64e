using System.Text;
using Azure;
using Azure.Core;
using Weir.Storage.AzureBlob;
using Weir.Storage.AzureBlob.Client;

namespace Weir.Storage.Tests.AzureBlob;

/// <summary>The Blob REST client's verbs against Azurite, which checks every Shared Key signature.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class BlobRestClientTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly string _container = AzuriteFixture.NewContainerName("client");
    private readonly RecordingPolicy _recorder = new();
    private BlobRestClient _client = null!;

    public async Task InitializeAsync()
    {
        var options = azurite.StoreOptions().Client;
        options.AddPolicy(_recorder, HttpPipelinePosition.BeforeTransport);
        _client = azurite.CreateClient(options);
        Assert.True(await _client.CreateContainerIfNotExistsAsync(_container));
        Assert.False(await _client.CreateContainerIfNotExistsAsync(_container), "creating an existing container is idempotent");
    }

    public async Task DisposeAsync() => await _client.DeleteContainerAsync(_container);

    [Fact]
    public async Task Ranged_reads_return_exactly_the_requested_bytes()
    {
        var bytes = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
        await _client.PutBlobAsync(_container, "r/blob", bytes);

        Assert.Equal(bytes[100..150], await ReadAsync(100, 50));
        Assert.Equal(bytes[990..], await ReadAsync(990, null));
        Assert.Equal(bytes, await ReadAsync(0, null));

        await using (var download = await _client.GetBlobAsync(_container, "r/blob", 100, 50))
        {
            Assert.Equal(50, download.ContentLength);
            Assert.Equal(1000, download.BlobLength);
        }

        // (A range starting exactly at the end gets 416 from Azure but an empty 206 from Azurite; the store treats both alike.)
        var outside = await Assert.ThrowsAsync<BlobRequestException>(() => _client.GetBlobAsync(_container, "r/blob", 1500, 10));
        Assert.Equal(416, outside.Status);
        Assert.Equal("InvalidRange", outside.ErrorCode);

        async Task<byte[]> ReadAsync(long offset, long? length)
        {
            await using var download = await _client.GetBlobAsync(_container, "r/blob", offset, length);
            using var buffer = new MemoryStream();
            await download.Content.CopyToAsync(buffer);
            return buffer.ToArray();
        }
    }

    [Fact]
    public async Task Listing_pages_through_the_opaque_next_marker()
    {
        var names = Enumerable.Range(0, 11).Select(i => $"list/d{i % 4}/f{i:D2}").Order(StringComparer.Ordinal).ToArray();
        foreach (var name in names)
        {
            await _client.PutBlobAsync(_container, name, Encoding.UTF8.GetBytes(name));
        }

        await _client.PutBlobAsync(_container, "other/x", new byte[1]);

        var pages = new List<BlobListPage>();
        await foreach (var page in _client.ListAllBlobsAsync(_container, "list/", pageSize: 3))
        {
            pages.Add(page);
        }

        Assert.Equal(4, pages.Count);
        Assert.All(pages[..^1], p => Assert.NotNull(p.NextMarker));
        Assert.Null(pages[^1].NextMarker);
        Assert.Equal(names, pages.SelectMany(p => p.Blobs).Select(b => b.Name));
        Assert.All(pages.SelectMany(p => p.Blobs), b => Assert.Equal(Encoding.UTF8.GetByteCount(b.Name), b.Length));

        var directories = new List<string>();
        var directoryPages = 0;
        await foreach (var page in _client.ListAllBlobsAsync(_container, "list/", delimiter: "/", pageSize: 1))
        {
            directoryPages++;
            directories.AddRange(page.Prefixes);
            Assert.Empty(page.Blobs);
        }

        Assert.Equal(["list/d0/", "list/d1/", "list/d2/", "list/d3/"], directories);
        Assert.True(directoryPages >= 4, $"{directoryPages} pages for 4 directories at one per page");
    }

    [Fact]
    public async Task Leases_guard_writes_until_released_or_broken()
    {
        await _client.PutBlobAsync(_container, "leased", "v1"u8.ToArray());
        var leaseId = await _client.AcquireLeaseAsync(_container, "leased", TimeSpan.FromSeconds(15));
        Assert.Equal("leased", (await _client.GetPropertiesAsync(_container, "leased"))!.LeaseState);

        var missing = await Assert.ThrowsAsync<BlobRequestException>(() => _client.PutBlobAsync(_container, "leased", "v2"u8.ToArray()));
        Assert.Equal(412, missing.Status);
        Assert.Equal("LeaseIdMissing", missing.ErrorCode);
        Assert.Contains("Put Blob", missing.Message);
        Assert.Contains($"{_container}/leased", missing.Message);

        var wrong = await Assert.ThrowsAsync<BlobRequestException>(() => _client.PutBlobAsync(_container, "leased", "v2"u8.ToArray(), new BlobConditions(LeaseId: Guid.NewGuid().ToString())));
        Assert.Equal(412, wrong.Status);
        Assert.Equal("LeaseIdMismatchWithBlobOperation", wrong.ErrorCode);

        await _client.PutBlobAsync(_container, "leased", "v2"u8.ToArray(), new BlobConditions(LeaseId: leaseId));
        await _client.RenewLeaseAsync(_container, "leased", leaseId);
        var taken = await Assert.ThrowsAsync<BlobRequestException>(() => _client.AcquireLeaseAsync(_container, "leased", TimeSpan.FromSeconds(15)));
        Assert.Equal(409, taken.Status);
        Assert.Equal("LeaseAlreadyPresent", taken.ErrorCode);

        await _client.ReleaseLeaseAsync(_container, "leased", leaseId);
        Assert.Equal("available", (await _client.GetPropertiesAsync(_container, "leased"))!.LeaseState);
        await _client.PutBlobAsync(_container, "leased", "v3"u8.ToArray());

        var second = await _client.AcquireLeaseAsync(_container, "leased", duration: null, proposedLeaseId: Guid.NewGuid().ToString());
        Assert.Equal(TimeSpan.Zero, await _client.BreakLeaseAsync(_container, "leased", TimeSpan.Zero));
        Assert.Equal("broken", (await _client.GetPropertiesAsync(_container, "leased"))!.LeaseState);
        await _client.PutBlobAsync(_container, "leased", "v4"u8.ToArray());
        var afterBreak = await Assert.ThrowsAsync<BlobRequestException>(() => _client.RenewLeaseAsync(_container, "leased", second));
        Assert.Equal(409, afterBreak.Status);
    }

    [Fact]
    public async Task Conditional_writes_honour_if_none_match_and_if_match()
    {
        var first = await _client.PutBlobAsync(_container, "cond", "one"u8.ToArray(), BlobConditions.CreateOnly);
        var exists = await Assert.ThrowsAsync<BlobRequestException>(() => _client.PutBlobAsync(_container, "cond", "two"u8.ToArray(), BlobConditions.CreateOnly));
        Assert.Equal(409, exists.Status);
        Assert.Equal("BlobAlreadyExists", exists.ErrorCode);

        var second = await _client.PutBlobAsync(_container, "cond", "two"u8.ToArray(), new BlobConditions(IfMatch: first.ETag));
        Assert.NotEqual(first.ETag, second.ETag);

        var stale = await Assert.ThrowsAsync<BlobRequestException>(() => _client.PutBlobAsync(_container, "cond", "three"u8.ToArray(), new BlobConditions(IfMatch: first.ETag)));
        Assert.Equal(412, stale.Status);
        Assert.Equal("ConditionNotMet", stale.ErrorCode);

        var staleDelete = await Assert.ThrowsAsync<BlobRequestException>(() => _client.DeleteBlobAsync(_container, "cond", new BlobConditions(IfMatch: first.ETag)));
        Assert.Equal(412, staleDelete.Status);
        Assert.Equal(second.ETag, (await _client.GetPropertiesAsync(_container, "cond"))!.ETag);

        var blocksConflict = await Assert.ThrowsAsync<BlobRequestException>(async () =>
        {
            await _client.PutBlockAsync(_container, "cond", BlockId(0), "x"u8.ToArray());
            await _client.PutBlockListAsync(_container, "cond", [BlockId(0)], BlobConditions.CreateOnly);
        });
        Assert.Contains(blocksConflict.Status, new[] { 409, 412 });
        Assert.True(await _client.DeleteBlobAsync(_container, "cond", new BlobConditions(IfMatch: second.ETag)));
        Assert.False(await _client.DeleteBlobAsync(_container, "cond"));
    }

    [Fact]
    public async Task Errors_carry_status_error_code_operation_and_path()
    {
        var missing = await Assert.ThrowsAsync<BlobRequestException>(() => _client.GetBlobAsync(_container, "no/such/blob"));
        Assert.Equal(404, missing.Status);
        Assert.Equal("BlobNotFound", missing.ErrorCode);
        Assert.Equal("Get Blob", missing.Operation);
        Assert.Equal($"{_container}/no/such/blob", missing.BlobPath);
        Assert.StartsWith($"Get Blob '{_container}/no/such/blob' failed with 404 BlobNotFound", missing.Message);
        Assert.IsAssignableFrom<CheckpointStoreException>(missing);

        var noContainer = await Assert.ThrowsAsync<BlobRequestException>(() => _client.PutBlobAsync("missing-container", "b", new byte[1]));
        Assert.Equal(404, noContainer.Status);
        Assert.Equal("ContainerNotFound", noContainer.ErrorCode);

        var badList = await Assert.ThrowsAsync<BlobRequestException>(() => _client.PutBlockListAsync(_container, "never-staged", [BlockId(1)]));
        Assert.Equal(400, badList.Status);
        Assert.Equal("InvalidBlockList", badList.ErrorCode);

        Assert.Null(await _client.GetPropertiesAsync(_container, "no/such/blob"));
        Assert.Empty((await _client.ListBlobsAsync("missing-container")).Blobs);
    }

    [Fact]
    public async Task Names_that_need_escaping_are_signed_and_round_trip()
    {
        string[] names = ["esc/with space", "esc/ünïcødé/ß", "esc/plus+percent%hash#query?amp&eq=", "esc/(parens)'quote'!*~"];
        foreach (var name in names)
        {
            await _client.PutBlobAsync(_container, name, Encoding.UTF8.GetBytes(name));
            await using var download = await _client.GetBlobAsync(_container, name, 0, 3);
            Assert.Equal(Encoding.UTF8.GetBytes(name)[..3], await ReadAllAsync(download.Content));
        }

        var listed = new List<string>();
        await foreach (var page in _client.ListAllBlobsAsync(_container, "esc/", pageSize: 2))
        {
            listed.AddRange(page.Blobs.Select(b => b.Name));
        }

        Assert.Equal(names.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_large_upload_stages_blocks_in_parallel_within_its_memory_bound()
    {
        const int blockSize = 64 * 1024;
        const int blocksInFlight = 3;
        var bytes = new byte[(37 * blockSize) + 123];
        new Random(7).NextBytes(bytes);
        var pool = new CountingArrayPool();
        _recorder.Slow = ("Put Block", TimeSpan.FromMilliseconds(20));

        await using (var upload = _client.StartUpload(_container, "large/blob", new BlockUploadOptions(blockSize, blocksInFlight, pool)))
        {
            var random = new Random(11);
            for (var offset = 0; offset < bytes.Length;)
            {
                // Odd-sized writes, some spanning several blocks.
                var count = Math.Min(random.Next(1, 3 * blockSize), bytes.Length - offset);
                await upload.Stream.WriteAsync(bytes.AsMemory(offset, count));
                Assert.True(pool.Outstanding <= blocksInFlight, $"{pool.Outstanding} buffers out after a write");
                offset += count;
            }

            Assert.Null(await _client.GetPropertiesAsync(_container, "large/blob"));
            await upload.CommitAsync(BlobConditions.CreateOnly);
            Assert.Equal(38, upload.StagedBlocks);
        }

        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(38, pool.Rented);
        Assert.Equal(blockSize, pool.LargestRequest);
        Assert.InRange(pool.Peak, 2, blocksInFlight);
        Assert.Equal(38, _recorder.Count("Put Block"));
        Assert.InRange(_recorder.PeakInFlight("Put Block"), 2, blocksInFlight);
        Assert.Equal(1, _recorder.Count("Put Block List"));
        Assert.Equal(0, _recorder.Count("Put Blob"));

        await using var download = await _client.GetBlobAsync(_container, "large/blob");
        Assert.Equal(bytes, await ReadAllAsync(download.Content));
    }

    [Fact]
    public async Task Content_of_at_most_one_block_is_a_single_put_blob()
    {
        var pool = new CountingArrayPool();
        await using (var upload = _client.StartUpload(_container, "one-block", new BlockUploadOptions(1024, 2, pool)))
        {
            await upload.Stream.WriteAsync(new byte[1024]);
            await upload.CommitAsync();
        }

        Assert.Equal(1, _recorder.Count("Put Blob"));
        Assert.Equal(0, _recorder.Count("Put Block"));
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(1024, (await _client.GetPropertiesAsync(_container, "one-block"))!.Length);
    }

    private static string BlockId(int index) => Convert.ToBase64String(Encoding.ASCII.GetBytes($"test-block-{index:D6}"));

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
