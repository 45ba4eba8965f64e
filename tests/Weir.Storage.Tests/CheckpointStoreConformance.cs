using System.Text;

namespace Weir.Storage.Tests;

/// <summary>
/// The <see cref="ICheckpointStore"/> contract, run against every implementation: derive,
/// return a fresh empty store from <see cref="CreateStoreAsync"/>.
/// </summary>
public abstract class CheckpointStoreConformance : IAsyncLifetime
{
    private ICheckpointStore? _store;

    protected ICheckpointStore Store => _store ?? throw new InvalidOperationException("Store not created.");

    protected abstract Task<ICheckpointStore> CreateStoreAsync();

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_written_file_reads_back_whole_and_by_range()
    {
        var bytes = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        var stored = await Store.WriteAsync("job/chk-1/op-0", bytes, WriteMode.CreateOnly);
        Assert.Equal(10_000, stored.Length);
        Assert.Equal("job/chk-1/op-0", stored.Path);

        Assert.Equal(bytes, await Store.ReadAllBytesAsync("job/chk-1/op-0"));
        Assert.Equal(bytes[1000..1500], await Store.ReadAllBytesAsync("job/chk-1/op-0", 1000, 500));
        Assert.Equal(bytes[9990..], await Store.ReadAllBytesAsync("job/chk-1/op-0", 9990));
        Assert.Equal(10_000, (await Store.GetFileAsync("job/chk-1/op-0"))!.Length);
    }

    [Fact]
    public async Task Overwrite_replaces_and_create_only_refuses_an_existing_file()
    {
        await Store.WriteAsync("job/a", "one"u8.ToArray(), WriteMode.CreateOnly);
        await Store.WriteAsync("job/a", "two"u8.ToArray(), WriteMode.Overwrite);
        Assert.Equal("two", Encoding.UTF8.GetString(await Store.ReadAllBytesAsync("job/a")));

        var error = await Assert.ThrowsAsync<CheckpointFileExistsException>(() => Store.WriteAsync("job/a", "three"u8.ToArray(), WriteMode.CreateOnly));
        Assert.Equal("job/a", error.Path);
        Assert.Contains("job/a", error.Message);
        Assert.Equal("two", Encoding.UTF8.GetString(await Store.ReadAllBytesAsync("job/a")));
    }

    [Fact]
    public async Task Exactly_one_of_racing_create_only_writers_wins()
    {
        var writers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                await Store.WriteAsync("job/chk-7/_metadata", Encoding.UTF8.GetBytes($"writer {i}"), WriteMode.CreateOnly);
                return i;
            }
            catch (CheckpointFileExistsException)
            {
                return -1;
            }
        })).ToArray();

        var winners = (await Task.WhenAll(writers)).Where(i => i >= 0).ToArray();
        Assert.Single(winners);
        Assert.Equal($"writer {winners[0]}", Encoding.UTF8.GetString(await Store.ReadAllBytesAsync("job/chk-7/_metadata")));
    }

    [Fact]
    public async Task A_write_whose_content_fails_leaves_nothing_behind()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Store.WriteAsync(
            "job/chk-2/partial",
            async (stream, ct) =>
            {
                await stream.WriteAsync(new byte[4096], ct);
                throw new InvalidOperationException("snapshot failed half-way");
            },
            WriteMode.CreateOnly));

        Assert.Equal("snapshot failed half-way", error.Message);
        Assert.Null(await Store.GetFileAsync("job/chk-2/partial"));
        Assert.Empty(await ListAsync("job"));

        // The path is still free for a create-only write.
        await Store.WriteAsync("job/chk-2/partial", new byte[1], WriteMode.CreateOnly);
    }

    [Fact]
    public async Task Reading_a_missing_file_fails_naming_it()
    {
        var error = await Assert.ThrowsAsync<CheckpointFileNotFoundException>(() => Store.OpenReadAsync("job/chk-9/_metadata"));
        Assert.Equal("job/chk-9/_metadata", error.Path);
        Assert.Contains("job/chk-9/_metadata", error.Message);
        Assert.Null(await Store.GetFileAsync("job/chk-9/_metadata"));
    }

    [Fact]
    public async Task Delete_is_idempotent()
    {
        await Store.WriteAsync("job/x", new byte[3], WriteMode.CreateOnly);
        Assert.True(await Store.DeleteAsync("job/x"));
        Assert.False(await Store.DeleteAsync("job/x"));
        Assert.Null(await Store.GetFileAsync("job/x"));
    }

    [Fact]
    public async Task Listing_finds_files_recursively_and_immediate_directories()
    {
        foreach (var path in new[] { "j1/shared/a", "j1/shared/b", "j1/chk-1/_metadata", "j1/chk-2/op", "j1/taskowned/t", "j2/chk-1/_metadata" })
        {
            await Store.WriteAsync(path, Encoding.UTF8.GetBytes(path), WriteMode.CreateOnly);
        }

        Assert.Equal(["j1/chk-1/_metadata", "j1/chk-2/op", "j1/shared/a", "j1/shared/b", "j1/taskowned/t"], await ListAsync("j1"));
        Assert.Equal(["j1/shared/a", "j1/shared/b"], await ListAsync("j1/shared"));
        Assert.Equal(6, (await ListAsync(string.Empty)).Count);
        Assert.Equal(["chk-1", "chk-2", "shared", "taskowned"], await Store.ListDirectoriesAsync("j1"));
        Assert.Equal(["j1", "j2"], await Store.ListDirectoriesAsync(string.Empty));
        Assert.Empty(await Store.ListDirectoriesAsync("nothing-here"));

        var deleted = await Store.DeleteDirectoryAsync("j1/shared");
        Assert.Equal(2, deleted);
        Assert.Equal(["chk-1", "chk-2", "taskowned"], await Store.ListDirectoriesAsync("j1"));
    }

    [Fact]
    public async Task A_large_file_round_trips_and_readers_never_see_it_partially()
    {
        var bytes = new byte[12 * 1024 * 1024 + 7];
        new Random(42).NextBytes(bytes);
        var reader = Task.Run(async () =>
        {
            StoredFile? file;
            while ((file = await Store.GetFileAsync("job/big")) is null)
            {
                await Task.Yield();
            }

            Assert.Equal(bytes.Length, file.Length);
        });

        await Store.WriteAsync(
            "job/big",
            async (stream, ct) =>
            {
                for (var offset = 0; offset < bytes.Length; offset += 1 << 20)
                {
                    await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(1 << 20, bytes.Length - offset)), ct);
                }
            },
            WriteMode.CreateOnly);

        await reader.Within("a reader sees the complete file");
        Assert.Equal(bytes, await Store.ReadAllBytesAsync("job/big"));
    }

    [Fact]
    public async Task A_leased_path_refuses_a_second_holder_with_a_message_naming_the_path()
    {
        await using var first = await Store.AcquireLeaseAsync(LeasePath, LeaseDuration);

        var error = await Assert.ThrowsAsync<CheckpointLeaseException>(() => Store.AcquireLeaseAsync(LeasePath, LeaseDuration));
        Assert.Equal(LeasePath, error.Path);
        Assert.Contains($"'{LeasePath}'", error.Message);
        Assert.Contains(Store.Location.ToString(), error.Message);
        await first.RenewAsync();

        // Leases of other paths are independent.
        await using var other = await Store.AcquireLeaseAsync("job-2/_coordinator.lease", LeaseDuration);
        await other.RenewAsync();
    }

    [Fact]
    public async Task Releasing_a_lease_lets_another_holder_acquire_it_and_the_first_can_no_longer_renew()
    {
        var first = await Store.AcquireLeaseAsync(LeasePath, LeaseDuration);
        await first.DisposeAsync();

        await using var second = await Store.AcquireLeaseAsync(LeasePath, LeaseDuration);
        await second.RenewAsync();
        var lost = await Assert.ThrowsAsync<CheckpointLeaseException>(() => first.RenewAsync());
        Assert.Contains($"'{LeasePath}'", lost.Message);
        await first.DisposeAsync();
        await Assert.ThrowsAsync<CheckpointLeaseException>(() => Store.AcquireLeaseAsync(LeasePath, LeaseDuration));
    }

    [Fact]
    public async Task A_lease_file_sits_beside_a_jobs_checkpoints_without_disturbing_them()
    {
        await using var lease = await Store.AcquireLeaseAsync(LeasePath, LeaseDuration);
        await Store.WriteAsync(CheckpointLayout.MetadataPath("job", 1), new byte[3], WriteMode.CreateOnly);

        Assert.NotNull(await Store.GetFileAsync(LeasePath));
        Assert.Equal(["chk-1"], await Store.ListDirectoriesAsync("job"));
        Assert.Equal(3, (await Store.ReadAllBytesAsync(CheckpointLayout.MetadataPath("job", 1))).Length);
        await lease.RenewAsync();
    }

    [Theory]
    [InlineData("/abs")]
    [InlineData("a//b")]
    [InlineData("a/../b")]
    [InlineData("a\\b")]
    [InlineData("trailing/")]
    public async Task Invalid_paths_are_rejected_with_the_rule(string path)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Store.WriteAsync(path, new byte[1], WriteMode.Overwrite));
        Assert.Contains($"'{path}' is not valid", error.Message);
    }

    /// <summary>
    /// For stores whose leases expire: once a lease is let expire, another holder takes it, the
    /// first can no longer renew, and its late release does not free the new holder's lease.
    /// </summary>
    protected async Task AssertAnExpiredLeaseCanBeTakenOverAsync(Func<TimeSpan, Task> letTimePass)
    {
        var first = await Store.AcquireLeaseAsync(LeasePath, LeaseDuration);
        await letTimePass(LeaseDuration + TimeSpan.FromSeconds(1));

        await using var second = await Store.AcquireLeaseAsync(LeasePath, LeaseDuration);
        var lost = await Assert.ThrowsAsync<CheckpointLeaseException>(() => first.RenewAsync());
        Assert.Contains($"'{LeasePath}'", lost.Message);
        await first.DisposeAsync();
        await second.RenewAsync();
        await Assert.ThrowsAsync<CheckpointLeaseException>(() => Store.AcquireLeaseAsync(LeasePath, LeaseDuration));
    }

    /// <summary>A coordinator's lease file.</summary>
    protected const string LeasePath = "job/_coordinator.lease";

    /// <summary>The shortest lease every store supports.</summary>
    protected static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(15);

    private async Task<List<string>> ListAsync(string directory)
    {
        var paths = new List<string>();
        await foreach (var file in Store.ListFilesAsync(directory))
        {
            paths.Add(file.Path);
        }

        paths.Sort(StringComparer.Ordinal);
        return paths;
    }
}
