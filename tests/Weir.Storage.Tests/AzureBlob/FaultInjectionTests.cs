using Azure.Core;
using Weir.Storage.AzureBlob;
using Xunit.Abstractions;

namespace Weir.Storage.Tests.AzureBlob;

/// <summary>
/// Create-only writes through a pipeline that fails a third of all attempts (503s, lost
/// responses after the service applied the request, connections cut mid-upload), with two
/// retries per request: each write must end either reported as written with exactly its bytes
/// stored, or failed with no blob left, never a partial one.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class FaultInjectionTests(AzuriteFixture azurite, ITestOutputHelper output) : IAsyncLifetime
{
    private const int BlockSize = 64 * 1024;
    private readonly string _container = AzuriteFixture.NewContainerName("faults");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await azurite.CreateClient().DeleteContainerAsync(_container);

    [Theory]
    [InlineData(1, 20260101)]
    [InlineData(3, 20260102)]
    public async Task Under_injected_faults_a_create_only_write_is_all_or_nothing(int blocksInFlight, int seed)
    {
        const int writes = 40;
        var faults = new FaultInjectionPolicy(seed)
        {
            ServiceUnavailableShare = 0.12,
            ResponseTimeoutShare = 0.12,
            ConnectionCutShare = 0.12,
        };
        var logs = new CapturingLoggerProvider();
        var prefix = $"in-flight-{blocksInFlight}";
        var store = BlobCheckpointStore.Create(
            azurite.LocationOf(_container, prefix),
            azurite.StoreOptions(o =>
            {
                o.BlockSize = BlockSize;
                o.MaxBlocksInFlight = blocksInFlight;
                o.Client.Retry.MaxRetries = 2;
                o.Client.AddPolicy(faults, HttpPipelinePosition.BeforeTransport);
                o.LoggerFactory = logs;
            }));

        var contents = new Dictionary<string, byte[]>();
        var succeeded = new HashSet<string>();
        var failed = new Dictionary<string, Exception>();
        var random = new Random(seed);
        for (var i = 0; i < writes; i++)
        {
            // Alternate one-request writes with staged ones of 3 to 6 blocks (the last one partial).
            var length = i % 2 == 0 ? random.Next(1, 8 * 1024) : random.Next(2 * BlockSize, 6 * BlockSize);
            var bytes = new byte[length];
            random.NextBytes(bytes);
            var path = $"job/chk-{i}/_metadata";
            contents[path] = bytes;
            try
            {
                var stored = await store.WriteAsync(path, bytes, WriteMode.CreateOnly);
                Assert.Equal(length, stored.Length);
                succeeded.Add(path);
            }
            catch (CheckpointStoreException e)
            {
                failed[path] = e;
            }
        }

        faults.Enabled = false;
        var check = BlobCheckpointStore.Create(azurite.LocationOf(_container, prefix), azurite.StoreOptions());
        var unknownButLanded = 0;
        foreach (var (path, bytes) in contents)
        {
            var file = await check.GetFileAsync(path);
            if (succeeded.Contains(path))
            {
                Assert.True(file is not null, $"'{path}' was reported written but is missing");
                Assert.Equal(bytes, await check.ReadAllBytesAsync(path));
            }
            else if (file is not null)
            {
                // Only a write told "outcome unknown" may have landed, and then whole.
                Assert.Contains("unknown outcome", failed[path].Message);
                Assert.Equal(bytes, await check.ReadAllBytesAsync(path));
                unknownButLanded++;
            }
        }

        var stray = new List<string>();
        await foreach (var file in check.ListFilesAsync(string.Empty))
        {
            if (!contents.TryGetValue(file.Path, out var bytes) || bytes.Length != file.Length)
            {
                stray.Add(file.Path);
            }
        }

        var recovered = logs.Lines.Count(l => l.Contains("an earlier attempt of the same commit landed", StringComparison.Ordinal));
        output.WriteLine(
            $"seed {seed}, {blocksInFlight} block(s) in flight: writes attempted {writes}, succeeded {succeeded.Count}, failed {failed.Count} " +
            $"(left no blob: {failed.Count - unknownButLanded}, unknown outcome but landed whole: {unknownButLanded}); " +
            $"request attempts {faults.Attempts}, faults injected {faults.InjectedTotal} " +
            $"(503: {faults.Injected(InjectedFault.ServiceUnavailable)}, lost response: {faults.Injected(InjectedFault.ResponseTimeout)}, " +
            $"connection cut: {faults.Injected(InjectedFault.ConnectionCut)}); commits recovered by write id: {recovered}; partial or stray blobs: {stray.Count}");
        foreach (var (path, error) in failed)
        {
            output.WriteLine($"  {path}: {error.Message}");
        }

        Assert.Empty(stray);
        Assert.Equal(writes, succeeded.Count + failed.Count);
        Assert.True(faults.InjectedTotal >= writes, $"only {faults.InjectedTotal} faults injected");
        Assert.True(succeeded.Count > writes / 2, $"only {succeeded.Count} of {writes} writes succeeded: retries are not doing their job");
    }
}
