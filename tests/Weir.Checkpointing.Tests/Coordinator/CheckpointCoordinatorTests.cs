using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Storage;
using static Weir.Checkpointing.Tests.Coordinator.CoordinatorHarness;

namespace Weir.Checkpointing.Tests.Coordinator;

/// <summary>The coordinator end to end: in-memory store, manual clock, recording gateway, no sleeps.</summary>
public sealed class CheckpointCoordinatorTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Ticks_trigger_checkpoints_one_interval_apart_as_the_clock_advances()
    {
        var h = new CoordinatorHarness();
        var start = h.Clock.GetUtcNow();

        for (var second = 0; second <= 35; second++)
        {
            await h.Coordinator.OnTickAsync();
            foreach (var id in h.Coordinator.PendingIds.ToArray())
            {
                await h.AckAllAsync(id);
            }

            h.Clock.Advance(Second);
        }

        Assert.Equal([1, 2, 3, 4], h.Gateway.TriggeredIds);
        Assert.Equal([0, 10, 20, 30], h.Gateway.Triggers.Select(t => (t.Timestamp - start).TotalSeconds));
        Assert.All(h.Gateway.Triggers, t => Assert.Equal((Source, CheckpointKind.Checkpoint), (t.Source, t.Kind)));
        Assert.Equal(4, h.Coordinator.Statistics.Completed);
    }

    [Fact]
    public async Task The_first_periodic_checkpoint_of_an_attempt_waits_its_initial_delay_and_a_savepoint_does_not()
    {
        var h = new CoordinatorHarness(start: false);
        var start = h.Clock.GetUtcNow();
        h.Coordinator.Start(Plan, firstCheckpointId: 1, initialDelay: TimeSpan.FromSeconds(7));

        for (var second = 0; second < 7; second++)
        {
            await h.Coordinator.OnTickAsync();
            h.Clock.Advance(Second);
        }

        Assert.Empty(h.Gateway.Triggers);
        await h.Coordinator.OnTickAsync();
        await h.AckAllAsync(1);
        Assert.Equal([7.0], h.Gateway.Triggers.Select(t => (t.Timestamp - start).TotalSeconds));

        // A restarted attempt waits again; an explicit trigger never does.
        h.Coordinator.Start(Plan, firstCheckpointId: 2, initialDelay: TimeSpan.FromMinutes(5));
        await h.Coordinator.OnTickAsync();
        Assert.Equal([1], h.Gateway.TriggeredIds);
        Assert.Equal(2, await h.Coordinator.TriggerAsync(CheckpointKind.Savepoint));
    }

    [Fact]
    public void The_random_initial_delay_lies_between_the_min_pause_and_the_interval()
    {
        var random = new Random(7);
        var settings = DefaultSettings with { Interval = TimeSpan.FromSeconds(10), MinPause = TimeSpan.FromSeconds(4) };
        var delays = Enumerable.Range(0, 1_000).Select(_ => CheckpointCoordinator.RandomInitialDelay(settings, random)).ToArray();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(10)));
        Assert.True(delays.Min() < TimeSpan.FromSeconds(4.1) && delays.Max() > TimeSpan.FromSeconds(9.9), $"delays span {delays.Min()} to {delays.Max()}");
        Assert.Equal(TimeSpan.FromSeconds(10), CheckpointCoordinator.RandomInitialDelay(settings with { MinPause = TimeSpan.FromMinutes(1) }, random));
        Assert.Equal(TimeSpan.Zero, CheckpointCoordinator.RandomInitialDelay(settings with { Interval = null }, random));
    }

    [Fact]
    public async Task Without_an_interval_ticks_never_trigger()
    {
        var h = new CoordinatorHarness(DefaultSettings with { Interval = null });

        for (var i = 0; i < 5; i++)
        {
            await h.Coordinator.OnTickAsync();
            h.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Empty(h.Gateway.Triggers);
    }

    [Fact]
    public async Task Suspended_periodic_checkpoints_stop_ticks_triggering_until_the_next_attempt_and_a_savepoint_still_runs()
    {
        var h = new CoordinatorHarness();
        await h.Coordinator.OnTickAsync();
        await h.AckAllAsync(1);

        h.Coordinator.SuspendPeriodicCheckpoints();
        for (var second = 0; second < 30; second++)
        {
            h.Clock.Advance(Second);
            await h.Coordinator.OnTickAsync();
        }

        Assert.Equal([1], h.Gateway.TriggeredIds);
        Assert.Equal(2, await h.Coordinator.TriggerAsync(CheckpointKind.Savepoint));

        h.Coordinator.Start(Plan, firstCheckpointId: 3);
        await h.Coordinator.OnTickAsync();
        Assert.Equal([1, 2], h.Gateway.TriggeredIds);
        await h.AckAllAsync(2);
        await h.Coordinator.OnTickAsync();
        Assert.Equal([1, 2, 3], h.Gateway.TriggeredIds);
    }

    [Fact]
    public async Task Ticks_never_exceed_max_concurrent_checkpoints()
    {
        var h = new CoordinatorHarness(DefaultSettings with { MaxConcurrentCheckpoints = 2, Timeout = TimeSpan.FromHours(1) });

        for (var second = 0; second <= 60; second++)
        {
            await h.Coordinator.OnTickAsync();
            Assert.True(h.Coordinator.PendingIds.Count <= 2);
            h.Clock.Advance(Second);
        }

        Assert.Equal([1, 2], h.Gateway.TriggeredIds);
    }

    [Fact]
    public async Task Completion_writes_chk_n_metadata_create_only_and_only_after_the_last_ack()
    {
        var h = new CoordinatorHarness();
        var id = await h.TriggerAsync();

        await h.AckAsync(Source, id);
        await h.AckAsync(Map1, id);
        Assert.False(await h.ExistsAsync(MetadataPath(id)));
        Assert.Null(h.Coordinator.LatestCompleted);
        Assert.Equal([id], h.Coordinator.PendingIds);

        await h.AckAsync(Map0, id);

        Assert.Equal([(MetadataPath(id), WriteMode.CreateOnly)], h.Store.Writes);
        var metadata = MetadataSerializer.Deserialize(await h.Memory.ReadAllBytesAsync(MetadataPath(id)), MetadataPath(id));
        Assert.Equal((id, JobId, "test job"), (metadata.CheckpointId, metadata.JobId, metadata.JobName));
        Assert.Equal(["map", "source"], metadata.Operators.Select(o => o.OperatorUid));
        Assert.Equal([0, 1], metadata.Operators[0].Subtasks.Select(s => s.SubtaskIndex));
        Assert.Equal(id, h.Coordinator.LatestCompleted!.CheckpointId);
        Assert.Empty(h.Coordinator.PendingIds);
        Assert.Equal(AllTasks.Select(t => (t, id)), h.Gateway.Completions);
    }

    [Fact]
    public async Task A_duplicate_ack_neither_completes_early_nor_completes_twice()
    {
        var h = new CoordinatorHarness();
        var id = await h.TriggerAsync();
        await h.AckAsync(Source, id);

        await h.Coordinator.ReceiveAcknowledgeAsync(Source, id, await h.WriteStateAsync(Map0, 99));
        await h.AckAsync(Map0, id);
        Assert.False(await h.ExistsAsync(MetadataPath(id)));

        await h.AckAsync(Map1, id);
        await h.Coordinator.ReceiveAcknowledgeAsync(Map1, id, await h.WriteStateAsync(Map1, 98));

        Assert.Equal(1, h.Coordinator.Statistics.Completed);
        Assert.Single(h.Store.Writes);
        Assert.Equal(3, h.Gateway.Completions.Count);
        Assert.Empty(h.Gateway.JobFailures);
    }

    [Fact]
    public async Task An_ack_from_a_task_that_was_never_asked_counts_for_nothing()
    {
        var h = new CoordinatorHarness();
        var id = await h.TriggerAsync();
        var stranger = new TaskKey("map", 5);

        await h.Coordinator.ReceiveAcknowledgeAsync(stranger, id, await h.WriteStateAsync(stranger, id));
        await h.AckAsync(Source, id);
        await h.AckAsync(Map0, id);

        Assert.Equal([id], h.Coordinator.PendingIds);
        Assert.False(await h.ExistsAsync(MetadataPath(id)));
    }

    [Fact]
    public async Task A_late_ack_of_a_completed_retained_checkpoint_is_harmless()
    {
        var h = new CoordinatorHarness();
        var id = await h.CompleteCheckpointAsync();
        var files = await h.FilesUnderAsync(CheckpointLayout.CheckpointDirectory(JobId, id));

        await h.Coordinator.ReceiveAcknowledgeAsync(Map0, id, new TaskCheckpointAck(
            new Dictionary<string, SubtaskStateSnapshot> { ["map"] = new(0, new KeyedStateHandle(new KeyGroupRange(0, 64), [new KeyGroupState(0, [new StateSegment(StateFile(Map0, id), 0, 4, 0, SegmentKind.Full)])]), []) },
            TimeSpan.Zero,
            TimeSpan.Zero));

        Assert.Equal(files, await h.FilesUnderAsync(CheckpointLayout.CheckpointDirectory(JobId, id)));
        Assert.Equal(id, h.Coordinator.LatestCompleted!.CheckpointId);
        Assert.Equal((1, 0), (h.Coordinator.Statistics.Completed, h.Coordinator.Statistics.Failed));
    }

    [Fact]
    public async Task A_late_ack_of_an_aborted_checkpoint_deletes_the_state_it_wrote_under_chk_n()
    {
        var h = new CoordinatorHarness(DefaultSettings with { TolerableFailedCheckpoints = 5 });
        var id = await h.TriggerAsync();
        await h.Coordinator.ReceiveDeclineAsync(Source, id, "snapshot failed");

        await h.AckAsync(Map0, id);

        Assert.False(await h.ExistsAsync(StateFile(Map0, id)));
        Assert.Equal(0, h.Coordinator.Statistics.Completed);
    }

    [Fact]
    public async Task An_ack_for_a_checkpoint_that_never_existed_is_ignored()
    {
        var h = new CoordinatorHarness();

        await h.Coordinator.ReceiveAcknowledgeAsync(Map0, 42, new TaskCheckpointAck(new Dictionary<string, SubtaskStateSnapshot>(), TimeSpan.Zero, TimeSpan.Zero));

        Assert.Empty(h.Coordinator.PendingIds);
        Assert.Null(h.Coordinator.LatestCompleted);
        Assert.Empty(h.Store.Writes);
    }

    [Fact]
    public async Task A_checkpoint_not_acknowledged_within_the_timeout_expires_and_the_tasks_are_told()
    {
        var h = new CoordinatorHarness(DefaultSettings with { TolerableFailedCheckpoints = 3 });
        await h.Coordinator.OnTickAsync();
        await h.AckAsync(Source, 1);

        h.Clock.Advance(TimeSpan.FromSeconds(59));
        await h.Coordinator.OnTickAsync();
        Assert.Equal([1], h.Coordinator.PendingIds);

        h.Clock.Advance(Second);
        await h.Coordinator.OnTickAsync();

        Assert.DoesNotContain(1L, h.Coordinator.PendingIds);
        Assert.Equal(AllTasks.Select(t => (t, 1L)), h.Gateway.Aborts);
        Assert.Equal(1, h.Coordinator.Statistics.Failed);
        Assert.False(await h.ExistsAsync(StateFile(Source, 1)));
        Assert.Empty(h.Gateway.JobFailures);
    }

    [Fact]
    public async Task More_failed_checkpoints_in_a_row_than_tolerable_fail_the_job()
    {
        var h = new CoordinatorHarness(DefaultSettings with { TolerableFailedCheckpoints = 1 });

        await h.Coordinator.ReceiveDeclineAsync(Map0, await h.TriggerAsync(), "disk full");
        Assert.Empty(h.Gateway.JobFailures);
        await h.Coordinator.ReceiveDeclineAsync(Map1, await h.TriggerAsync(), "disk full");

        var reason = Assert.Single(h.Gateway.JobFailures);
        Assert.Contains("tolerable-failed-checkpoints", reason);
        Assert.Contains("declined by a task", reason);
    }

    [Fact]
    public async Task An_expired_checkpoint_beyond_the_tolerable_number_fails_the_job()
    {
        var h = new CoordinatorHarness(DefaultSettings with { TolerableFailedCheckpoints = 0 });
        await h.Coordinator.OnTickAsync();

        h.Clock.Advance(TimeSpan.FromMinutes(1));
        await h.Coordinator.OnTickAsync();

        var reason = Assert.Single(h.Gateway.JobFailures);
        Assert.Contains("expired before completing (execution.checkpointing.timeout)", reason);
    }

    [Fact]
    public async Task A_completed_checkpoint_between_failures_resets_the_count()
    {
        var h = new CoordinatorHarness(DefaultSettings with { TolerableFailedCheckpoints = 1 });

        await h.Coordinator.ReceiveDeclineAsync(Map0, await h.TriggerAsync(), "x");
        await h.CompleteCheckpointAsync();
        await h.Coordinator.ReceiveDeclineAsync(Map0, await h.TriggerAsync(), "x");

        Assert.Empty(h.Gateway.JobFailures);
    }

    [Fact]
    public async Task A_newer_checkpoint_completing_subsumes_older_pending_ones_without_counting_a_failure()
    {
        var h = new CoordinatorHarness(DefaultSettings with { MaxConcurrentCheckpoints = 3, TolerableFailedCheckpoints = 0, NumRetained = 3 });
        var older = await h.TriggerAsync();
        await h.AckAsync(Source, older);
        var newer = await h.TriggerAsync();

        await h.AckAllAsync(newer);

        Assert.Empty(h.Coordinator.PendingIds);
        Assert.Equal([newer], h.Coordinator.Retained.Select(c => c.CheckpointId));
        Assert.Equal(AllTasks.Select(t => (t, older)), h.Gateway.Aborts);
        Assert.False(await h.ExistsAsync(StateFile(Source, older)));
        Assert.Empty(h.Gateway.JobFailures);
    }

    [Fact]
    public async Task A_savepoint_is_neither_subsumed_nor_answered_by_a_newer_checkpoint_and_one_aborted_stays_failed()
    {
        var h = new CoordinatorHarness(DefaultSettings with { MaxConcurrentCheckpoints = 3, NumRetained = 1 });
        var savepoint = await h.Coordinator.TriggerAsync(CheckpointKind.Savepoint) ?? throw new InvalidOperationException("not triggered");
        await h.AckAsync(Source, savepoint);

        // A checkpoint triggered after the savepoint completes first (its incremental writes are quicker).
        var newer = await h.CompleteCheckpointAsync();
        Assert.Equal([savepoint], h.Coordinator.PendingIds);
        Assert.Equal(CheckpointOutcome.Pending, h.Coordinator.OutcomeOf(savepoint, CheckpointKind.Savepoint));

        await h.AckAsync(Map0, savepoint);
        await h.AckAsync(Map1, savepoint);
        var answer = h.Coordinator.OutcomeOf(savepoint, CheckpointKind.Savepoint);
        Assert.Equal((CheckpointProgress.Completed, savepoint), (answer.Progress, answer.Checkpoint?.CheckpointId));

        // Retention lets the checkpoint go: asked for it, the coordinator names the newest; the savepoint stays itself.
        var newest = await h.CompleteCheckpointAsync();
        Assert.False(await h.ExistsAsync(MetadataPath(newer)));
        Assert.Equal(newest, h.Coordinator.OutcomeOf(newer, CheckpointKind.Checkpoint).Checkpoint?.CheckpointId);
        Assert.Equal(savepoint, h.Coordinator.OutcomeOf(savepoint, CheckpointKind.Savepoint).Checkpoint?.CheckpointId);
        Assert.True(await h.ExistsAsync(StateFile(Map1, savepoint)));

        // A savepoint declined is failed, whatever completed after it.
        var declined = await h.Coordinator.TriggerAsync(CheckpointKind.Savepoint) ?? throw new InvalidOperationException("not triggered");
        await h.Coordinator.ReceiveDeclineAsync(Map0, declined, "disk full");
        await h.CompleteCheckpointAsync();
        Assert.Equal(CheckpointOutcome.Failed, h.Coordinator.OutcomeOf(declined, CheckpointKind.Savepoint));
        Assert.Equal(CheckpointOutcome.Failed, h.Coordinator.OutcomeOf(h.Coordinator.NextCheckpointId, CheckpointKind.Checkpoint));
    }

    [Fact]
    public async Task Retention_deletes_the_files_of_checkpoints_beyond_num_retained()
    {
        var h = new CoordinatorHarness(DefaultSettings with { NumRetained = 2 });

        var first = await h.CompleteCheckpointAsync();
        var second = await h.CompleteCheckpointAsync();
        var third = await h.CompleteCheckpointAsync();

        Assert.Equal([second, third], h.Coordinator.Retained.Select(c => c.CheckpointId));
        Assert.Empty(await h.FilesUnderAsync(CheckpointLayout.CheckpointDirectory(JobId, first)));
        Assert.Equal(4, (await h.FilesUnderAsync(CheckpointLayout.CheckpointDirectory(JobId, second))).Count);
        Assert.Equal(4, (await h.FilesUnderAsync(CheckpointLayout.CheckpointDirectory(JobId, third))).Count);
    }

    [Fact]
    public async Task A_restored_checkpoint_claimed_is_retained_and_discarded_once_subsumed()
    {
        var h = new CoordinatorHarness(DefaultSettings with { NumRetained = 1 }, start: false);
        var restored = await WriteCompletedCheckpointAsync(h, JobId, 5);

        h.Coordinator.AddRestored(restored, claim: true);
        h.Coordinator.Start(Plan, firstCheckpointId: 1);

        Assert.Equal(6, h.Coordinator.NextCheckpointId);
        Assert.Equal([5], h.Coordinator.Retained.Select(c => c.CheckpointId));
        Assert.Equal(6, await h.CompleteCheckpointAsync());
        Assert.Empty(await h.FilesUnderAsync(CheckpointLayout.CheckpointDirectory(JobId, 5)));
        Assert.Equal([6], h.Coordinator.Retained.Select(c => c.CheckpointId));
    }

    [Fact]
    public async Task A_restored_checkpoint_not_claimed_is_the_fallback_until_a_new_one_completes_and_is_never_deleted()
    {
        var h = new CoordinatorHarness(DefaultSettings with { NumRetained = 1 }, start: false);
        var restored = await WriteCompletedCheckpointAsync(h, JobId, 5);

        h.Coordinator.AddRestored(restored, claim: false);
        h.Coordinator.Start(Plan, firstCheckpointId: 1);

        Assert.Empty(h.Coordinator.Retained);
        Assert.Equal(5, h.Coordinator.LatestCompleted!.CheckpointId);
        await h.CompleteCheckpointAsync();
        await h.CompleteCheckpointAsync();
        await h.Coordinator.OnJobTerminatedAsync(discardRetained: true);

        Assert.True(await h.ExistsAsync(MetadataPath(5)));
        Assert.True(await h.ExistsAsync(StateFile(Map0, 5)));
    }

    [Fact]
    public async Task A_claimed_checkpoint_of_another_job_directory_is_discarded_from_its_own_directory()
    {
        var h = new CoordinatorHarness(DefaultSettings with { NumRetained = 1 }, start: false);
        var restored = await WriteCompletedCheckpointAsync(h, "old-job", 5);
        await h.Memory.WriteAsync($"{JobId}/chk-5/unrelated", new byte[] { 1 }, WriteMode.CreateOnly);

        h.Coordinator.AddRestored(restored, claim: true);
        h.Coordinator.Start(Plan, firstCheckpointId: 1);
        await h.CompleteCheckpointAsync();

        Assert.Empty(await h.FilesUnderAsync("old-job/chk-5"));
        Assert.True(await h.ExistsAsync($"{JobId}/chk-5/unrelated"));
    }

    [Fact]
    public async Task A_finished_task_counts_as_acknowledged_so_a_pending_checkpoint_completes()
    {
        var h = new CoordinatorHarness();
        var id = await h.TriggerAsync();
        await h.AckAsync(Source, id);
        await h.AckAsync(Map1, id);

        await h.Coordinator.OnTaskFinishedAsync(Map0);

        Assert.Equal(id, h.Coordinator.LatestCompleted!.CheckpointId);
        var map = h.Coordinator.LatestCompleted.Metadata.Operators.Single(o => o.OperatorUid == "map");
        Assert.Equal([1], map.Subtasks.Where(s => s.KeyedState is not null).Select(s => s.SubtaskIndex));

        var next = await h.TriggerAsync();
        await h.AckAsync(Source, next);
        await h.AckAsync(Map1, next);
        Assert.Equal(next, h.Coordinator.LatestCompleted!.CheckpointId);
    }

    [Fact]
    public async Task When_every_source_finished_nothing_more_is_triggered()
    {
        var h = new CoordinatorHarness();

        await h.Coordinator.OnTaskFinishedAsync(Source);

        Assert.True(h.Coordinator.InputEnded);
        Assert.Null(await h.Coordinator.TriggerAsync(CheckpointKind.Checkpoint));
        Assert.Empty(h.Gateway.Triggers);
    }

    [Fact]
    public async Task Once_a_checkpoint_completes_that_every_source_said_ends_its_stream_nothing_more_is_triggered()
    {
        var h = new CoordinatorHarness();

        // Said in a checkpoint that did not complete: nothing changes.
        var aborted = await h.TriggerAsync();
        await h.Coordinator.ReceiveAcknowledgeAsync(Source, aborted, (await h.WriteStateAsync(Source, aborted)) with { EndsStream = true });
        await h.Coordinator.ReceiveDeclineAsync(Map0, aborted, "declined");
        Assert.False(h.Coordinator.InputEnded);

        // Said in a completed one: the sources send no more barriers, so no checkpoint could reach the maps.
        var final = await h.TriggerAsync();
        await h.Coordinator.ReceiveAcknowledgeAsync(Source, final, (await h.WriteStateAsync(Source, final)) with { EndsStream = true });
        await h.AckAsync(Map0, final);
        await h.AckAsync(Map1, final);

        Assert.Equal(final, h.Coordinator.LatestCompleted!.CheckpointId);
        Assert.True(h.Coordinator.InputEnded);
        Assert.Null(await h.Coordinator.TriggerAsync(CheckpointKind.Checkpoint));
        Assert.Null(await h.Coordinator.TriggerAsync(CheckpointKind.Savepoint));
        Assert.Equal([aborted, final], h.Gateway.TriggeredIds);
    }

    [Fact]
    public async Task A_failed_metadata_write_aborts_the_checkpoint_as_finalize_failed()
    {
        var h = new CoordinatorHarness(DefaultSettings with { TolerableFailedCheckpoints = 0 });
        h.Store.FailWrite = path => path.EndsWith("/_metadata", StringComparison.Ordinal) ? new IOException("the disk is full") : null;
        var id = await h.TriggerAsync();

        await h.AckAllAsync(id);

        Assert.Null(h.Coordinator.LatestCompleted);
        Assert.Empty(h.Coordinator.PendingIds);
        Assert.Empty(h.Gateway.Completions);
        Assert.Equal(AllTasks.Select(t => (t, id)), h.Gateway.Aborts);
        Assert.Empty(await h.FilesUnderAsync(CheckpointLayout.CheckpointDirectory(JobId, id)));
        var reason = Assert.Single(h.Gateway.JobFailures);
        Assert.Contains("writing its metadata failed", reason);
    }

    [Fact]
    public async Task Losing_the_create_only_metadata_write_to_another_writer_leaves_the_winners_checkpoint_intact()
    {
        // Another coordinator (say, a duplicate activation) completed chk-1 first: create-only lets exactly one win.
        var h = new CoordinatorHarness(DefaultSettings with { TolerableFailedCheckpoints = 5 });
        var winner = MetadataSerializer.Serialize(new CheckpointMetadata(1, h.Clock.GetUtcNow(), JobId, "test job", CheckpointKind.Checkpoint, []));
        await h.Memory.WriteAsync(MetadataPath(1), winner, WriteMode.CreateOnly);
        await h.Memory.WriteAsync($"{JobId}/chk-1/map-0-winner", new byte[] { 7 }, WriteMode.CreateOnly);
        var id = await h.TriggerAsync();

        await h.AckAllAsync(id);

        Assert.Equal(1, id);
        Assert.Null(h.Coordinator.LatestCompleted);
        Assert.Equal(winner, await h.Memory.ReadAllBytesAsync(MetadataPath(1)));
        Assert.True(await h.ExistsAsync($"{JobId}/chk-1/map-0-winner"));
        Assert.Equal([$"{JobId}/chk-1/_metadata", $"{JobId}/chk-1/map-0-winner"], await h.FilesUnderAsync($"{JobId}/chk-1"));
        Assert.Equal(AllTasks.Select(t => (t, 1L)), h.Gateway.Aborts);
    }

    [Fact]
    public async Task A_trigger_that_cannot_reach_the_sources_aborts_without_counting_a_failure()
    {
        var h = new CoordinatorHarness(DefaultSettings with { TolerableFailedCheckpoints = 0 });
        h.Gateway.TriggerFailure = new InvalidOperationException("source unreachable");

        var id = await h.Coordinator.TriggerAsync(CheckpointKind.Checkpoint);

        Assert.Null(id);
        Assert.Empty(h.Coordinator.PendingIds);
        Assert.Empty(h.Gateway.JobFailures);
        Assert.Equal(1, h.Coordinator.Statistics.Failed);
    }

    [Fact]
    public async Task Stopping_aborts_pending_checkpoints_without_counting_and_stops_triggering()
    {
        var h = new CoordinatorHarness(DefaultSettings with { TolerableFailedCheckpoints = 0 });
        await h.Coordinator.OnTickAsync();

        await h.Coordinator.StopAsync(CheckpointFailureReason.JobRestarting);
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        await h.Coordinator.OnTickAsync();

        Assert.Empty(h.Coordinator.PendingIds);
        Assert.Equal([1], h.Gateway.TriggeredIds);
        Assert.Empty(h.Gateway.JobFailures);
        Assert.Null(await h.Coordinator.TriggerAsync(CheckpointKind.Savepoint));
    }

    [Fact]
    public async Task A_restart_continues_checkpoint_ids_after_the_first_id_it_is_given()
    {
        var h = new CoordinatorHarness();
        await h.CompleteCheckpointAsync();
        await h.Coordinator.StopAsync(CheckpointFailureReason.JobRestarting);

        h.Coordinator.Start(Plan, firstCheckpointId: 10);

        Assert.Equal(10, await h.TriggerAsync());
    }

    [Fact]
    public async Task On_termination_retained_checkpoints_are_deleted_only_when_asked()
    {
        var keep = new CoordinatorHarness();
        var discard = new CoordinatorHarness();
        var kept = await keep.CompleteCheckpointAsync();
        var discarded = await discard.CompleteCheckpointAsync();

        await keep.Coordinator.OnJobTerminatedAsync(discardRetained: false);
        await discard.Coordinator.OnJobTerminatedAsync(discardRetained: true);

        Assert.True(await keep.ExistsAsync(MetadataPath(kept)));
        Assert.Empty(await discard.FilesUnderAsync(CheckpointLayout.CheckpointDirectory(JobId, discarded)));
        Assert.Empty(discard.Coordinator.Retained);
    }

    private static async Task<CompletedCheckpoint> WriteCompletedCheckpointAsync(CoordinatorHarness h, string jobId, long id)
    {
        var statePath = $"{CheckpointLayout.CheckpointDirectory(jobId, id)}/map-0";
        await h.Memory.WriteAsync(statePath, new byte[] { 9 }, WriteMode.CreateOnly);
        var metadata = new CheckpointMetadata(id, h.Clock.GetUtcNow(), jobId, "test job", CheckpointKind.Checkpoint, [
            new OperatorStateSnapshot("map", "Map", 2, 128, [new SubtaskStateSnapshot(0, new KeyedStateHandle(new KeyGroupRange(0, 64), [new KeyGroupState(3, [new StateSegment(statePath, 0, 1, 0, SegmentKind.Full)])]), [])]),
        ]);
        var metadataPath = CheckpointLayout.MetadataPath(jobId, id);
        await h.Memory.WriteAsync(metadataPath, MetadataSerializer.Serialize(metadata), WriteMode.CreateOnly);
        return new CompletedCheckpoint(metadata, metadataPath, h.Clock.GetUtcNow(), TimeSpan.Zero, metadata.StateSize);
    }
}
