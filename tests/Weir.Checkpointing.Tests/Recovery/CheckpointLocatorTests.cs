using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Storage;
using Weir.Storage.InMemory;

namespace Weir.Checkpointing.Tests.Recovery;

public sealed class CheckpointLocatorTests
{
    private readonly InMemoryCheckpointStore _store = new(new ManualTimeProvider());

    [Fact]
    public async Task The_latest_complete_checkpoint_is_found_skipping_a_corrupt_newer_one_and_reporting_it()
    {
        await WriteCheckpointAsync(1);
        await WriteCheckpointAsync(9);
        var corrupt = MetadataSerializer.Serialize(Metadata(10));
        corrupt[^1] ^= 0xFF;
        await _store.WriteAsync("job/chk-10/count-0", new byte[16], WriteMode.CreateOnly);
        await _store.WriteAsync("job/chk-10/_metadata", corrupt, WriteMode.CreateOnly);
        var reported = new List<(string Path, Exception Error)>();

        var latest = await CheckpointLocator.FindLatestAsync(_store, "job", (path, error) => reported.Add((path, error)));

        Assert.Equal(9, latest!.CheckpointId);
        Assert.Equal("job/chk-9/_metadata", latest.MetadataPath);
        var (path, error) = Assert.Single(reported);
        Assert.EndsWith("job/chk-10/_metadata", path, StringComparison.Ordinal);
        var corruptError = Assert.IsType<CorruptCheckpointException>(error);
        Assert.Equal("memory://default/job/chk-10/_metadata", corruptError.Path);
    }

    [Fact]
    public async Task A_checkpoint_directory_without_metadata_is_skipped_silently()
    {
        await WriteCheckpointAsync(2);
        await _store.WriteAsync("job/chk-3/count-0", new byte[] { 1 }, WriteMode.CreateOnly);
        var reported = 0;

        var latest = await CheckpointLocator.FindLatestAsync(_store, "job", (_, _) => reported++);

        Assert.Equal(2, latest!.CheckpointId);
        Assert.Equal(0, reported);
    }

    [Fact]
    public async Task Without_a_complete_checkpoint_there_is_none()
    {
        await _store.WriteAsync("job/chk-1/count-0", new byte[] { 1 }, WriteMode.CreateOnly);
        await _store.WriteAsync("job/shared/x", new byte[] { 1 }, WriteMode.CreateOnly);

        Assert.Null(await CheckpointLocator.FindLatestAsync(_store, "job"));
        Assert.Null(await CheckpointLocator.FindLatestAsync(_store, "other-job"));
    }

    [Fact]
    public async Task Checkpoint_ids_are_listed_newest_first_by_number_ignoring_other_directories()
    {
        foreach (var directory in new[] { "chk-9", "chk-10", "chk-2", "shared", "taskowned", "chk-x", "chk-" })
        {
            await _store.WriteAsync($"job/{directory}/f", new byte[] { 1 }, WriteMode.CreateOnly);
        }

        Assert.Equal([10, 9, 2], await CheckpointLocator.ListCheckpointIdsAsync(_store, "job"));
    }

    [Fact]
    public async Task Loading_a_missing_metadata_file_names_it()
    {
        var error = await Assert.ThrowsAsync<CheckpointFileNotFoundException>(() => CheckpointLocator.LoadAsync(_store, "job/chk-4/_metadata"));

        Assert.Equal("job/chk-4/_metadata", error.Path);
    }

    [Fact]
    public async Task Loading_returns_the_metadata_and_its_size()
    {
        await WriteCheckpointAsync(4);

        var loaded = await CheckpointLocator.LoadAsync(_store, "job/chk-4/_metadata");

        Assert.Equal(4, loaded.CheckpointId);
        Assert.Equal(loaded.Metadata.StateSize, loaded.StateSize);
        Assert.Equal(16, loaded.StateSize);
    }

    public static TheoryData<string, string, string, long> ValidPaths => new()
    {
        { "/data/checkpoints/job-1/chk-7", "/data/checkpoints", "job-1", 7 },
        { "/data/checkpoints/job-1/chk-7/", "/data/checkpoints", "job-1", 7 },
        { "/data/checkpoints/job-1/chk-7/_metadata", "/data/checkpoints", "job-1", 7 },
        { "  /data/checkpoints/job-1/chk-12/_metadata/  ", "/data/checkpoints", "job-1", 12 },
        { @"C:\ckpt\job-1\chk-7\_metadata", @"C:\ckpt", "job-1", 7 },
        { "file:///data/ckpt/job-1/chk-7", "file:///data/ckpt", "job-1", 7 },
        { "https://acct.blob.core.windows.net/checkpoints/prod/job-1/chk-30/_metadata", "https://acct.blob.core.windows.net/checkpoints/prod", "job-1", 30 },
        { "ckpt/job-1/chk-3", "ckpt", "job-1", 3 },
        { "/job-1/chk-7", "/", "job-1", 7 },
    };

    [Theory]
    [MemberData(nameof(ValidPaths))]
    public void A_restore_path_splits_into_store_root_job_and_checkpoint(string path, string root, string jobId, long checkpointId)
    {
        var location = CheckpointLocator.ParseRestorePath(path);

        Assert.Equal(new RestoreLocation(root, jobId, checkpointId, $"{jobId}/chk-{checkpointId}/_metadata"), location);
    }

    [Theory]
    [InlineData("")]
    [InlineData("chk-7")]
    [InlineData("job-1/chk-7")]
    [InlineData("/data/checkpoints/job-1")]
    [InlineData("/data/checkpoints/job-1/chk-x")]
    [InlineData("/data/checkpoints/job-1/chk--1")]
    [InlineData("/data/checkpoints/job-1/shared/_metadata")]
    [InlineData("/data/checkpoints/job-1/chk-7/state-file")]
    [InlineData("/data/checkpoints/job-1/chk-7_metadata")]
    public void A_path_that_does_not_name_a_checkpoint_is_rejected_quoting_it(string path)
    {
        var error = Assert.Throws<ArgumentException>(() => CheckpointLocator.ParseRestorePath(path));

        Assert.Contains($"Restore path '{path}' is not valid", error.Message);
    }

    /// <summary>Writes a complete checkpoint: its state file, then its metadata.</summary>
    private async Task WriteCheckpointAsync(long id)
    {
        await _store.WriteAsync($"job/chk-{id}/count-0", new byte[16], WriteMode.CreateOnly);
        await _store.WriteAsync(CheckpointLayout.MetadataPath("job", id), MetadataSerializer.Serialize(Metadata(id)), WriteMode.CreateOnly);
    }

    private static CheckpointMetadata Metadata(long id) => new(id, DateTimeOffset.UnixEpoch, "job", "job", CheckpointKind.Checkpoint,
    [
        new OperatorStateSnapshot("count", "Count", 1, 128, [new SubtaskStateSnapshot(0, new KeyedStateHandle(new KeyGroupRange(0, 128), [new KeyGroupState(5, [new StateSegment($"job/chk-{id}/count-0", 0, 16, 1, SegmentKind.Full)])]), [])]),
    ]);
}
