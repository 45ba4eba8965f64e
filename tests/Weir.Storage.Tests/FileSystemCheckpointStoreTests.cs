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
    public async Task Deleting_the_last_file_of_a_checkpoint_removes_its_directory()
    {
        await Store.WriteAsync("job-1/chk-5/a", new byte[1], WriteMode.CreateOnly);
        await Store.DeleteAsync("job-1/chk-5/a");
        Assert.False(Directory.Exists(Path.Combine(_root, "job-1", "chk-5")));
        Assert.True(Directory.Exists(_root));
    }
}
