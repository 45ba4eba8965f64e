using Microsoft.Extensions.Logging.Abstractions;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Storage;
using Weir.Storage.InMemory;

namespace Weir.Checkpointing.Tests.Coordinator;

/// <summary>
/// Two coordinators of one job on one store (as during a rolling deployment), fenced by
/// <see cref="CoordinatorLease"/>: a manual clock drives the store's lease expiry; no sleeps.
/// </summary>
public sealed class CoordinatorFencingTests
{
    private const string JobId = "job-1";
    private static readonly TaskKey Source = new("source", 0);
    private static readonly TaskKey Map = new("map", 0);
    private static readonly CoordinatorLeaseSettings Lease = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));
    private static readonly CoordinatorSettings Settings = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10), TimeSpan.Zero, 1, TolerableFailedCheckpoints: 5, NumRetained: 1);

    private static readonly CoordinatorPlan Plan = new(
        JobId,
        "fenced job",
        new Dictionary<string, OperatorDescriptor> { ["source"] = new("source", "Source", 1, 128), ["map"] = new("map", "Map", 1, 128) },
        [Source],
        [Source, Map]);

    private readonly ManualTimeProvider _clock = new();
    private readonly InMemoryCheckpointStore _store;

    public CoordinatorFencingTests() => _store = new InMemoryCheckpointStore(_clock);

    private static string LeaseLocation => $"memory://default/{JobId}/_coordinator.lease";

    [Fact]
    public async Task A_second_coordinator_waits_for_the_lease_while_the_first_holds_it_and_gives_up_after_the_acquire_timeout()
    {
        var first = Coordinator(_store);
        Assert.True(await first.Lease.TryAcquireAsync());
        var second = Coordinator(_store);

        CheckpointLeaseException? gaveUp = null;
        for (var elapsed = 0; elapsed <= 61 && gaveUp is null; elapsed++)
        {
            try
            {
                Assert.False(await second.Lease.TryAcquireAsync(), $"the second coordinator took the lease after {elapsed} s");
            }
            catch (CheckpointLeaseException e)
            {
                gaveUp = e;
            }

            if (elapsed % 10 == 0)
            {
                Assert.True(await first.Lease.RenewAsync());
            }

            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.NotNull(gaveUp);
        Assert.Equal(
            $"Checkpoint coordinator of job '{JobId}' could not acquire its lease on {LeaseLocation} within 60 s (execution.checkpointing.lease-acquire-timeout): another coordinator of the job holds it. Stopping so that only one coordinator completes checkpoints.",
            gaveUp.Message[..gaveUp.Message.IndexOf(" Last refusal", StringComparison.Ordinal)]);
        Assert.False(second.Lease.IsHeld);

        // Meanwhile the holder completes checkpoints as usual.
        Assert.Equal(1, await first.CompleteCheckpointAsync());
        Assert.NotNull(await _store.GetFileAsync(CheckpointLayout.MetadataPath(JobId, 1)));
    }

    [Fact]
    public async Task A_coordinator_without_the_lease_cannot_complete_a_checkpoint_while_another_holds_it()
    {
        var holder = Coordinator(_store);
        await holder.Lease.AcquireAsync();
        var intruder = Coordinator(_store);
        Assert.False(await intruder.Lease.TryAcquireAsync());

        // Started anyway (as a careless host might), it still never writes _metadata.
        var id = await intruder.TriggerAndAcknowledgeAsync();

        Assert.Null(await _store.GetFileAsync(CheckpointLayout.MetadataPath(JobId, id)));
        Assert.Equal(0, intruder.Coordinator.Statistics.Completed);
        var stop = Assert.Single(intruder.Gateway.StoppedWithoutRestart);
        Assert.Contains($"does not hold its lease on {LeaseLocation}", stop);
        Assert.Empty(intruder.Gateway.Failures);
        Assert.Null(await intruder.Coordinator.TriggerAsync(CheckpointKind.Checkpoint));

        // The intruder's files stay (it deletes nothing once fenced); the holder checkpoints past them.
        holder.Coordinator.Start(Plan, firstCheckpointId: id + 1);
        Assert.Equal(id + 1, await holder.CompleteCheckpointAsync());
    }

    [Fact]
    public async Task A_coordinator_whose_lease_was_taken_refuses_to_write_metadata_and_stops_the_job_without_restart()
    {
        var first = Coordinator(_store);
        await first.Lease.AcquireAsync();
        Assert.Equal(1, await first.CompleteCheckpointAsync());

        // The first coordinator stalls past its lease (no renewals); a second one takes the lease over.
        _clock.Advance(Lease.Duration + TimeSpan.FromSeconds(1));
        var second = Coordinator(_store);
        await second.Lease.AcquireAsync();

        var id = await first.TriggerAndAcknowledgeAsync();

        Assert.Equal(2, id);
        Assert.Null(await _store.GetFileAsync(CheckpointLayout.MetadataPath(JobId, 2)));
        var stop = Assert.Single(first.Gateway.StoppedWithoutRestart);
        Assert.StartsWith(
            $"Checkpoint coordinator of job '{JobId}' lost its lease on {LeaseLocation} to another coordinator: stopping so that only one coordinator completes checkpoints.",
            stop);
        Assert.Empty(first.Gateway.Failures);
        Assert.Equal(stop, first.Lease.LostMessage);
        Assert.Empty(first.Coordinator.PendingIds);
        Assert.Null(await first.Coordinator.TriggerAsync(CheckpointKind.Checkpoint));

        // Fenced, it deletes nothing: not its pending checkpoint's files, not its retained checkpoint at termination.
        Assert.NotNull(await _store.GetFileAsync(StateFile(Source, 2)));
        await first.Coordinator.OnJobTerminatedAsync(discardRetained: true);
        Assert.NotNull(await _store.GetFileAsync(CheckpointLayout.MetadataPath(JobId, 1)));

        // The new holder completes checkpoints (after the ids it found in the store).
        second.Coordinator.Start(Plan, firstCheckpointId: 3);
        Assert.Equal(3, await second.CompleteCheckpointAsync());
        Assert.NotNull(await _store.GetFileAsync(CheckpointLayout.MetadataPath(JobId, 3)));
        Assert.Empty(second.Gateway.StoppedWithoutRestart);
    }

    [Fact]
    public async Task Periodic_renewal_notices_a_taken_lease_and_a_renewal_without_an_answer_loses_nothing()
    {
        var flaky = new FlakyLeaseStore(_store);
        var first = Coordinator(flaky);
        await first.Lease.AcquireAsync();

        // No answer: still held, and a checkpoint whose verification got no answer fails without fencing.
        flaky.RenewFailure = new CheckpointStoreException("Lease Blob (renew) got no response (injected).");
        Assert.True(await first.Lease.RenewAsync());
        var unverified = await first.TriggerAndAcknowledgeAsync();
        Assert.Null(await _store.GetFileAsync(CheckpointLayout.MetadataPath(JobId, unverified)));
        Assert.Empty(first.Gateway.StoppedWithoutRestart);
        flaky.RenewFailure = null;
        Assert.Equal(unverified + 1, await first.CompleteCheckpointAsync());

        // Taken: the periodic renewal finds out, and the host stops the coordinator with its message.
        _clock.Advance(Lease.Duration + TimeSpan.FromSeconds(1));
        var second = Coordinator(_store);
        await second.Lease.AcquireAsync();
        Assert.False(await first.Lease.RenewAsync());
        await first.Coordinator.OnLeaseLostAsync(first.Lease.LostMessage!);

        Assert.StartsWith($"Checkpoint coordinator of job '{JobId}' lost its lease", Assert.Single(first.Gateway.StoppedWithoutRestart));
        Assert.Null(await first.Coordinator.TriggerAsync(CheckpointKind.Checkpoint));
    }

    [Fact]
    public async Task Releasing_the_lease_at_termination_lets_a_successor_take_it_at_once()
    {
        var first = Coordinator(_store);
        await first.Lease.AcquireAsync();
        await first.Lease.DisposeAsync();

        var successor = Coordinator(_store);
        Assert.True(await successor.Lease.TryAcquireAsync());
    }

    private static string StateFile(TaskKey task, long id) => $"{CheckpointLayout.CheckpointDirectory(JobId, id)}/{task.VertexId}-{task.Subtask}";

    private Fenced Coordinator(ICheckpointStore store)
    {
        var gateway = new StopRecordingGateway();
        var lease = new CoordinatorLease(store, JobId, Lease, _clock, NullLogger.Instance);
        var coordinator = new CheckpointCoordinator(Settings, store, gateway, _clock, NullLogger.Instance, lease);
        coordinator.Start(Plan, firstCheckpointId: 1);
        return new Fenced(coordinator, lease, gateway, store);
    }

    private sealed record Fenced(CheckpointCoordinator Coordinator, CoordinatorLease Lease, StopRecordingGateway Gateway, ICheckpointStore Store)
    {
        public async Task<long> TriggerAndAcknowledgeAsync()
        {
            var id = await Coordinator.TriggerAsync(CheckpointKind.Checkpoint) ?? throw new InvalidOperationException("The coordinator did not trigger.");
            foreach (var task in (TaskKey[])[Source, Map])
            {
                var path = StateFile(task, id);
                await Store.WriteAsync(path, new byte[] { 1, 2, 3 }, WriteMode.CreateOnly);
                var range = KeyGroupRange.ForSubtask(128, 1, 0);
                var keyed = new KeyedStateHandle(range, [new KeyGroupState(range.Start, [new StateSegment(path, 0, 3, 0, SegmentKind.Full)])]);
                var ack = new TaskCheckpointAck(new Dictionary<string, SubtaskStateSnapshot> { [task.VertexId] = new(0, keyed, []) }, TimeSpan.Zero, TimeSpan.Zero);
                await Coordinator.ReceiveAcknowledgeAsync(task, id, ack);
            }

            return id;
        }

        public async Task<long> CompleteCheckpointAsync()
        {
            var id = await TriggerAndAcknowledgeAsync();
            Assert.Equal(id, Coordinator.LatestCompleted?.CheckpointId);
            return id;
        }
    }

    /// <summary>Records job failures, and apart from them the stops without restart that fencing asks for.</summary>
    private sealed class StopRecordingGateway : ICheckpointGateway
    {
        public List<string> Failures { get; } = [];

        public List<string> StoppedWithoutRestart { get; } = [];

        public Task TriggerCheckpointAsync(TaskKey source, long checkpointId, DateTimeOffset timestamp, CheckpointKind kind) => Task.CompletedTask;

        public void NotifyCheckpointComplete(TaskKey task, long checkpointId)
        {
        }

        public void NotifyCheckpointAborted(TaskKey task, long checkpointId)
        {
        }

        public void FailJob(string reason) => Failures.Add(reason);

        public void FailJobWithoutRestart(string reason) => StoppedWithoutRestart.Add(reason);
    }

    /// <summary>An in-memory store whose lease renewals can be made to fail like an unanswered request.</summary>
    private sealed class FlakyLeaseStore(InMemoryCheckpointStore inner) : ICheckpointStore
    {
        public Exception? RenewFailure { get; set; }

        public Uri Location => inner.Location;

        public async Task<ICheckpointLease> AcquireLeaseAsync(string path, TimeSpan duration, CancellationToken cancellationToken = default) =>
            new FlakyLease(this, await inner.AcquireLeaseAsync(path, duration, cancellationToken));

        public Task<StoredFile> WriteAsync(string path, Func<Stream, CancellationToken, ValueTask> content, WriteMode mode, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(path, content, mode, cancellationToken);

        public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default) =>
            inner.OpenReadAsync(path, offset, length, cancellationToken);

        public Task<StoredFile?> GetFileAsync(string path, CancellationToken cancellationToken = default) => inner.GetFileAsync(path, cancellationToken);

        public IAsyncEnumerable<StoredFile> ListFilesAsync(string directory, CancellationToken cancellationToken = default) => inner.ListFilesAsync(directory, cancellationToken);

        public Task<IReadOnlyList<string>> ListDirectoriesAsync(string directory, CancellationToken cancellationToken = default) => inner.ListDirectoriesAsync(directory, cancellationToken);

        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);

        private sealed class FlakyLease(FlakyLeaseStore store, ICheckpointLease lease) : ICheckpointLease
        {
            public string Path => lease.Path;

            public Task RenewAsync(CancellationToken cancellationToken = default) =>
                store.RenewFailure is { } failure ? Task.FromException(failure) : lease.RenewAsync(cancellationToken);

            public ValueTask DisposeAsync() => lease.DisposeAsync();
        }
    }
}
