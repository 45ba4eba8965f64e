using Microsoft.Extensions.Logging.Abstractions;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Storage;
using static Weir.Checkpointing.Tests.Coordinator.CoordinatorHarness;

namespace Weir.Checkpointing.Tests.Coordinator;

/// <summary>
/// Shared files (incremental checkpoints) through the coordinator: deleted once no retained
/// checkpoint names them, left to the subtasks while an attempt runs, deleted when it ends if no
/// completed checkpoint registered them, never deleted when protected (NO_CLAIM, older runs) or
/// fenced, and rebuilt and swept from the store when a run starts.
/// </summary>
public sealed class SharedStateCoordinatorTests
{
    [Fact]
    public async Task Retention_deletes_a_shared_file_only_once_no_retained_checkpoint_names_it()
    {
        var h = new CoordinatorHarness(DefaultSettings with { NumRetained = 2 });
        await CompleteAsync(h, "base", "d1");
        await CompleteAsync(h, "base", "d1", "d2");
        await CompleteAsync(h, "m3");
        Assert.Equal(Shared("base", "d1", "d2", "m3"), await SharedFilesAsync(h));

        await CompleteAsync(h, "m3", "d4");

        Assert.Equal(Shared("d4", "m3"), await SharedFilesAsync(h));
        Assert.Equal([3, 4], h.Coordinator.Retained.Select(c => c.CheckpointId));
    }

    [Fact]
    public async Task A_subsumed_checkpoint_whose_metadata_delete_failed_keeps_its_shared_files_until_a_retried_discard_removes_it()
    {
        // Under storage faults the discard of a subsumed checkpoint can fail: its _metadata stays,
        // so it is still complete on storage and a restore may pick it.
        var h = new CoordinatorHarness();
        await CompleteAsync(h, "base", "d1");
        h.Store.FailDelete = path => path == MetadataPath(1) ? new CheckpointStoreException($"no answer deleting {path}") : null;
        await CompleteAsync(h, "m2");

        Assert.NotNull(await h.Memory.GetFileAsync(MetadataPath(1)));
        Assert.Equal(Shared("base", "d1", "m2"), await SharedFilesAsync(h));

        // The next completion retries the discard; once chk-1 is gone, so are the files only it named.
        h.Store.FailDelete = _ => null;
        await CompleteAsync(h, "m2", "d3");

        Assert.Null(await h.Memory.GetFileAsync(MetadataPath(1)));
        Assert.Equal(Shared("d3", "m2"), await SharedFilesAsync(h));
        Assert.Equal([3], h.Coordinator.Retained.Select(c => c.CheckpointId));
    }

    [Fact]
    public async Task A_subsumed_checkpoint_whose_metadata_went_but_whose_directory_stayed_no_longer_keeps_its_shared_files()
    {
        // Once _metadata is deleted the checkpoint is no longer complete: a leftover file of its
        // directory must not hold the files only it named (nor stop later deletes).
        var h = new CoordinatorHarness();
        await CompleteAsync(h, "base", "d1");
        var leftover = $"{CheckpointLayout.CheckpointDirectory(JobId, 1)}/op-0-state";
        await h.Memory.WriteAsync(leftover, new byte[] { 1 }, WriteMode.CreateOnly);
        h.Store.FailDelete = path => path == leftover ? new CheckpointStoreException($"no answer deleting {path}") : null;

        await CompleteAsync(h, "m2");

        Assert.Null(await h.Memory.GetFileAsync(MetadataPath(1)));
        Assert.NotNull(await h.Memory.GetFileAsync(leftover));
        Assert.Equal(Shared("m2"), await SharedFilesAsync(h));

        await CompleteAsync(h, "m2", "d3");
        Assert.Equal(Shared("d3", "m2"), await SharedFilesAsync(h));
    }

    [Fact]
    public async Task At_the_end_of_the_job_a_checkpoint_that_still_cannot_be_discarded_keeps_its_shared_files()
    {
        var h = new CoordinatorHarness(DefaultSettings with { NumRetained = 2 });
        await CompleteAsync(h, "base", "d1");
        await CompleteAsync(h, "base", "d1", "d2");
        h.Store.FailDelete = path => path == MetadataPath(2) ? new CheckpointStoreException($"no answer deleting {path}") : null;

        await h.Coordinator.OnJobTerminatedAsync(discardRetained: true);

        Assert.Null(await h.Memory.GetFileAsync(MetadataPath(1)));
        Assert.NotNull(await h.Memory.GetFileAsync(MetadataPath(2)));
        Assert.Equal(Shared("base", "d1", "d2"), await SharedFilesAsync(h));
    }

    [Fact]
    public async Task An_abort_while_the_attempt_runs_deletes_no_shared_file_and_the_end_of_the_attempt_deletes_those_no_completed_checkpoint_named()
    {
        var h = new CoordinatorHarness();
        await CompleteAsync(h, "base");
        var aborted = await h.TriggerAsync();
        await AckAsync(h, Source, aborted, "base", "d2");
        await h.Coordinator.ReceiveDeclineAsync(Map0, aborted, "injected");

        // The subtask's chain still holds d2: the next checkpoint names it.
        Assert.Equal(Shared("base", "d2"), await SharedFilesAsync(h));
        await CompleteAsync(h, "base", "d2", "d3");
        var pending = await h.TriggerAsync();
        await AckAsync(h, Source, pending, "base", "d2", "d3", "d4");

        await h.Coordinator.StopAsync(CheckpointFailureReason.JobRestarting);

        Assert.Equal(Shared("base", "d2", "d3"), await SharedFilesAsync(h));
    }

    [Fact]
    public async Task An_acknowledgement_arriving_after_its_attempt_ended_deletes_the_shared_files_no_completed_checkpoint_named()
    {
        // The subtask of the ended attempt acknowledged after the attempt's end: it left d2 to the coordinator (it was
        // the last to know of it), and the end of the attempt could not delete a file it had not heard of.
        var h = new CoordinatorHarness();
        await CompleteAsync(h, "base", "d1");
        var pending = await h.TriggerAsync();
        await h.Coordinator.StopAsync(CheckpointFailureReason.JobRestarting);
        var late = await SharedAckAsync(h, Map0, ["base", "d1", "d2"]);
        Assert.Equal(Shared("base", "d1", "d2"), await SharedFilesAsync(h));

        await h.Coordinator.DiscardStaleAcknowledgementAsync(pending, late);

        Assert.Equal(Shared("base", "d1"), await SharedFilesAsync(h));
    }

    [Fact]
    public async Task The_files_of_a_checkpoint_restored_without_claim_are_never_deleted_and_claimed_ones_are_once_unused()
    {
        foreach (var claim in new[] { false, true })
        {
            var h = new CoordinatorHarness(start: false);
            var restored = await RestoredCheckpointAsync(h, 7, "old-base", "old-delta");
            h.Coordinator.AddRestored(restored, claim);
            h.Coordinator.Start(Plan, 8);

            await CompleteAsync(h, "new-base");
            await CompleteAsync(h, "new-base", "d9");
            await h.Coordinator.OnJobTerminatedAsync(discardRetained: true);

            Assert.Equal(claim ? [] : Shared("old-base", "old-delta"), await SharedFilesAsync(h));
        }
    }

    [Fact]
    public async Task A_new_coordinator_protects_the_files_of_checkpoints_it_does_not_own_and_sweeps_only_older_orphans()
    {
        var h = new CoordinatorHarness(DefaultSettings with { NumRetained = 2 });
        await CompleteAsync(h, "base", "d1");
        await CompleteAsync(h, "base", "d1", "d2");
        await h.Memory.WriteAsync("job-1/shared/orphan", new byte[] { 1 }, WriteMode.CreateOnly);
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        await CompleteAsync(h, "base", "d1", "d2", "d3");
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        await h.Memory.WriteAsync("job-1/shared/newer", new byte[] { 1 }, WriteMode.CreateOnly);

        // A process restart: a new coordinator over the same store, restored from chk-3 without claim.
        var next = new CheckpointCoordinator(DefaultSettings, h.Store, new RecordingGateway(), h.Clock, NullLogger.Instance);
        next.AddRestored(await Weir.Checkpointing.Recovery.CheckpointLocator.LoadAsync(h.Memory, MetadataPath(3)), claim: false);
        await next.RecoverSharedStateAsync(JobId);
        next.Start(Plan, 4);

        Assert.Equal(Shared("base", "d1", "d2", "d3", "newer"), await SharedFilesAsync(h));
        Assert.True(next.SharedState.IsProtected("job-1/shared/d1"));

        // Its own checkpoints (full again after NO_CLAIM) never delete the protected files.
        await CompleteAsync(next, h, "m4");
        await CompleteAsync(next, h, "m5");
        await next.OnJobTerminatedAsync(discardRetained: true);
        Assert.Equal(Shared("base", "d1", "d2", "d3", "newer"), await SharedFilesAsync(h));
    }

    [Fact]
    public async Task A_complete_checkpoint_that_cannot_be_read_stops_the_sweep()
    {
        var h = new CoordinatorHarness();
        await CompleteAsync(h, "base");
        await h.Memory.WriteAsync("job-1/shared/orphan", new byte[] { 1 }, WriteMode.CreateOnly);
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        await CompleteAsync(h, "base", "d2");
        await h.Memory.WriteAsync(MetadataPath(2), new byte[] { 1, 2, 3 }, WriteMode.Overwrite);

        var next = new CheckpointCoordinator(DefaultSettings, h.Store, new RecordingGateway(), h.Clock, NullLogger.Instance);
        await next.RecoverSharedStateAsync(JobId);

        Assert.Contains("job-1/shared/orphan", await SharedFilesAsync(h));
    }

    [Fact]
    public async Task A_fenced_coordinator_deletes_no_shared_file()
    {
        var h = new CoordinatorHarness();
        await CompleteAsync(h, "base", "d1");
        var pending = await h.TriggerAsync();
        await AckAsync(h, Source, pending, "base", "d1", "d2");

        await h.Coordinator.OnLeaseLostAsync("another coordinator holds the lease");
        await h.Coordinator.OnJobTerminatedAsync(discardRetained: true);

        Assert.Equal(Shared("base", "d1", "d2"), await SharedFilesAsync(h));
    }

    [Fact]
    public async Task A_savepoint_naming_shared_files_protects_them()
    {
        var h = new CoordinatorHarness();
        await CompleteAsync(h, "base");
        var savepoint = await h.Coordinator.TriggerAsync(CheckpointKind.Savepoint) ?? throw new InvalidOperationException("not triggered");
        foreach (var task in AllTasks)
        {
            await AckAsync(h, task, savepoint, "base");
        }

        await CompleteAsync(h, "m2");
        await h.Coordinator.OnJobTerminatedAsync(discardRetained: true);

        Assert.Equal(Shared("base"), await SharedFilesAsync(h));
    }

    [Fact]
    public async Task A_metadata_write_that_may_have_landed_protects_its_shared_files_and_tells_no_task_it_aborted()
    {
        // The write lands but its answer is lost, and the discard of chk-n fails too: chk-n is complete on storage.
        var h = new CoordinatorHarness();
        var store = new LandingStore(h.Memory);
        var coordinator = new CheckpointCoordinator(DefaultSettings with { TolerableFailedCheckpoints = 5 }, store, h.Gateway, h.Clock, NullLogger.Instance);
        coordinator.Start(Plan, 1);
        await CompleteAsync(coordinator, h, "base");
        store.LoseMetadataAnswers = true;
        var id = await coordinator.TriggerAsync(CheckpointKind.Checkpoint) ?? throw new InvalidOperationException("not triggered");
        foreach (var task in AllTasks)
        {
            await coordinator.ReceiveAcknowledgeAsync(task, id, await SharedAckAsync(h, task, task == Map0 ? ["base", "d2"] : []));
        }

        Assert.Equal(1, coordinator.LatestCompleted?.CheckpointId);
        Assert.NotNull(await h.Memory.GetFileAsync(MetadataPath(id)));
        Assert.DoesNotContain(h.Gateway.Aborts, a => a.CheckpointId == id);
        Assert.True(coordinator.SharedState.IsProtected($"{JobId}/shared/d2"));

        store.LoseMetadataAnswers = false;
        await coordinator.StopAsync(CheckpointFailureReason.JobRestarting);
        coordinator.Start(Plan, coordinator.NextCheckpointId);
        await CompleteAsync(coordinator, h, "m3");
        await CompleteAsync(coordinator, h, "m4");
        Assert.Equal(Shared("base", "d2", "m4"), await SharedFilesAsync(h));
    }

    [Fact]
    public async Task A_metadata_write_that_surely_failed_aborts_and_tells_the_tasks()
    {
        var h = new CoordinatorHarness(DefaultSettings with { TolerableFailedCheckpoints = 5 });
        h.Store.FailWrite = path => path.EndsWith("/_metadata", StringComparison.Ordinal) ? new IOException("the disk is full") : null;
        var id = await h.TriggerAsync();
        await AckAsync(h, Map0, id, "base");
        await AckAsync(h, Map1, id);
        await AckAsync(h, Source, id);

        Assert.Equal(AllTasks.Select(t => (t, id)), h.Gateway.Aborts);
        Assert.False(h.Coordinator.SharedState.IsProtected($"{JobId}/shared/base"));
    }

    private static string[] Shared(params string[] names) => [.. names.Select(n => $"{JobId}/shared/{n}").Order(StringComparer.Ordinal)];

    private static Task<List<string>> SharedFilesAsync(CoordinatorHarness h) => h.FilesUnderAsync(CheckpointLayout.SharedDirectory(JobId));

    /// <summary>Completes a checkpoint whose map subtask 0 names <paramref name="files"/> (the others have no keyed state).</summary>
    private static Task<long> CompleteAsync(CoordinatorHarness h, params string[] files) => CompleteAsync(h.Coordinator, h, files);

    private static async Task<long> CompleteAsync(CheckpointCoordinator coordinator, CoordinatorHarness h, params string[] files)
    {
        var id = await coordinator.TriggerAsync(CheckpointKind.Checkpoint) ?? throw new InvalidOperationException("not triggered");
        foreach (var task in AllTasks)
        {
            await coordinator.ReceiveAcknowledgeAsync(task, id, await SharedAckAsync(h, task, task == Map0 ? files : []));
        }

        Assert.Equal(id, coordinator.LatestCompleted?.CheckpointId);
        await coordinator.SharedDeletes;
        return id;
    }

    private static async Task AckAsync(CoordinatorHarness h, TaskKey task, long id, params string[] files) =>
        await h.Coordinator.ReceiveAcknowledgeAsync(task, id, await SharedAckAsync(h, task, files));

    /// <summary>Writes the shared files that do not exist yet and acknowledges with one key group per file (its chain).</summary>
    private static async Task<TaskCheckpointAck> SharedAckAsync(CoordinatorHarness h, TaskKey task, string[] files)
    {
        var segments = new List<StateSegment>();
        foreach (var name in files)
        {
            var path = $"{JobId}/shared/{name}";
            if (await h.Memory.GetFileAsync(path) is null)
            {
                await h.Memory.WriteAsync(path, new byte[] { 1, 2, 3 }, WriteMode.CreateOnly);
            }

            segments.Add(new StateSegment(path, 0, 3, 0, segments.Count == 0 ? SegmentKind.Full : SegmentKind.Delta));
        }

        var range = new KeyGroupRange(task.Subtask * 64, (task.Subtask + 1) * 64);
        var keyed = segments.Count == 0 ? null : new KeyedStateHandle(range, [new KeyGroupState(range.Start, segments)]);
        return new TaskCheckpointAck(new Dictionary<string, SubtaskStateSnapshot> { [task.VertexId] = new(task.Subtask, keyed, []) }, TimeSpan.Zero, TimeSpan.Zero);
    }

    /// <summary>Writes through to memory; with <see cref="LoseMetadataAnswers"/>, a _metadata write lands but fails, and deleting it fails.</summary>
    private sealed class LandingStore(ICheckpointStore inner) : ICheckpointStore
    {
        public bool LoseMetadataAnswers { get; set; }

        public Uri Location => inner.Location;

        public async Task<StoredFile> WriteAsync(string path, Func<Stream, CancellationToken, ValueTask> content, WriteMode mode, CancellationToken cancellationToken = default)
        {
            var written = await inner.WriteAsync(path, content, mode, cancellationToken);
            return LoseMetadataAnswers && IsMetadata(path) ? throw new CheckpointStoreException($"no answer writing {path}") : written;
        }

        public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default) => inner.OpenReadAsync(path, offset, length, cancellationToken);

        public Task<StoredFile?> GetFileAsync(string path, CancellationToken cancellationToken = default) => inner.GetFileAsync(path, cancellationToken);

        public IAsyncEnumerable<StoredFile> ListFilesAsync(string directory, CancellationToken cancellationToken = default) => inner.ListFilesAsync(directory, cancellationToken);

        public Task<IReadOnlyList<string>> ListDirectoriesAsync(string directory, CancellationToken cancellationToken = default) => inner.ListDirectoriesAsync(directory, cancellationToken);

        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) =>
            LoseMetadataAnswers && IsMetadata(path) ? throw new CheckpointStoreException($"no answer deleting {path}") : inner.DeleteAsync(path, cancellationToken);

        private static bool IsMetadata(string path) => path.EndsWith("/_metadata", StringComparison.Ordinal);
    }

    private static async Task<CompletedCheckpoint> RestoredCheckpointAsync(CoordinatorHarness h, long id, params string[] files)
    {
        var ack = await SharedAckAsync(h, Map0, files);
        var metadata = new CheckpointMetadata(id, h.Clock.GetUtcNow(), JobId, "test job", CheckpointKind.Checkpoint, [new OperatorStateSnapshot("map", "Map", 2, 128, [ack.OperatorStates["map"]])]);
        await h.Memory.WriteAsync(MetadataPath(id), MetadataSerializer.Serialize(metadata), WriteMode.CreateOnly);
        return new CompletedCheckpoint(metadata, MetadataPath(id), h.Clock.GetUtcNow(), TimeSpan.Zero, metadata.StateSize);
    }
}
