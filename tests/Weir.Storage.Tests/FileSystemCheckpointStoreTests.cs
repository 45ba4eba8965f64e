using System.Diagnostics;
using Weir.Storage.FileSystem;

namespace Weir.Storage.Tests;

public sealed class FileSystemCheckpointStoreTests : CheckpointStoreConformance
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "weir-fs-store-" + Guid.NewGuid().ToString("N"));

    protected override Task<ICheckpointStore> CreateStoreAsync() => Task.FromResult<ICheckpointStore>(new FileSystemCheckpointStore(_root));

    public override Task DisposeAsync()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task Files_land_in_flinks_layout_on_disk_and_failed_writes_leave_no_temporary_files()
    {
        await Store.WriteAsync(CheckpointLayout.MetadataPath("job-1", 3), new byte[] { 1 }, WriteMode.CreateOnly);
        Assert.True(File.Exists(Path.Combine(_root, "job-1", "chk-3", "_metadata")));

        await Assert.ThrowsAsync<IOException>(() => Store.WriteAsync("job-1/chk-4/x", (_, _) => throw new IOException("disk full"), WriteMode.CreateOnly));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "job-1", "chk-4")));
    }

    [Fact]
    public async Task A_lease_held_by_another_process_is_refused_until_that_process_dies()
    {
        // util-linux's flock(1) takes the same kind of lock, flock(2), as the store, from another process.
        Assert.True(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "this test drives flock(1)");
        Directory.CreateDirectory(Path.Combine(_root, "job"));
        var start = new ProcessStartInfo("flock", ["--exclusive", "--close", Path.Combine(_root, "job", "_coordinator.lease"), "-c", "echo locked; exec sleep 60"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var holder = Process.Start(start)!;
        try
        {
            Assert.Equal("locked", await holder.StandardOutput.ReadLineAsync().Within("flock(1) takes the lock"));
            var refused = await Assert.ThrowsAsync<CheckpointLeaseException>(() => Store.AcquireLeaseAsync(LeasePath, LeaseDuration));
            Assert.Contains("a process holds its file lock", refused.Message);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync().Within("flock(1) exits when killed");
        }

        await using var lease = await Store.AcquireLeaseAsync(LeasePath, LeaseDuration);
        await lease.RenewAsync();
    }

    [Fact]
    public async Task A_lease_whose_file_was_deleted_is_lost()
    {
        await using var lease = await Store.AcquireLeaseAsync(LeasePath, LeaseDuration);
        File.Delete(Path.Combine(_root, "job", "_coordinator.lease"));
        await using var successor = await Store.AcquireLeaseAsync(LeasePath, LeaseDuration);

        var lost = await Assert.ThrowsAsync<CheckpointLeaseException>(() => lease.RenewAsync());
        Assert.Contains("deleted or replaced", lost.Message);
        await successor.RenewAsync();
    }

    [Fact]
    public async Task Deleting_the_last_file_of_a_checkpoint_removes_its_directory()
    {
        await Store.WriteAsync("job-1/chk-5/a", new byte[1], WriteMode.CreateOnly);
        await Store.DeleteAsync("job-1/chk-5/a");
        Assert.False(Directory.Exists(Path.Combine(_root, "job-1", "chk-5")));
        Assert.True(Directory.Exists(_root));
    }
}
