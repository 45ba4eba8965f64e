using Microsoft.Extensions.Logging.Abstractions;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Storage;
using Weir.Storage.InMemory;
using Weir.Streaming.State;

namespace Weir.Streaming.Tests.State.Changelog;

/// <summary>
/// Incremental checkpoints end to end, without a runtime: subtasks (keyed backend + changelog) and
/// a real <see cref="CheckpointCoordinator"/> over one in-memory store, driven by random sequences
/// of state changes, checkpoints (barriers reaching subtasks at different times), declines,
/// expiries, failovers (at another parallelism), process crashes (a new coordinator with another
/// num-retained, restoring the latest checkpoint in CLAIM or NO_CLAIM mode). After every step:
/// <list type="bullet">
/// <item>the files in <c>shared/</c> are exactly those the complete checkpoints name plus those
/// of work in flight (the live subtasks' chains, unresolved checkpoints and materializations),
/// plus, after a crash, files left newer than the newest complete checkpoint (the start-up sweep
/// must have taken every older one);</item>
/// <item>every complete checkpoint restores to the state each subtask had at its cut.</item>
/// </list>
/// </summary>
public sealed class IncrementalCheckpointPropertyTests
{
    private const int MaxParallelism = 16;
    private const string JobId = ChangelogHarness.JobId;
    private const string Uid = "op";

    [Fact]
    public async Task Shared_files_are_exactly_those_of_retained_and_in_flight_checkpoints_and_every_retained_checkpoint_restores()
    {
        var figures = new Dictionary<string, int>();
        for (var seed = 0; seed < 60; seed++)
        {
            var run = new Run(seed);
            await run.StartAsync();
            for (var step = 0; step < 40; step++)
            {
                var action = await run.StepAsync();
                figures[action] = figures.GetValueOrDefault(action) + 1;
                await run.CheckAsync($"seed {seed}, step {step} ({action}); log: {string.Join("; ", run.Log.TakeLast(25))}");
            }
        }

        // The sequences must have exercised every kind of step.
        Assert.All(new[] { "checkpoint", "partial", "deliver", "decline", "expire", "failover", "crash" }, a => Assert.True(figures.GetValueOrDefault(a) > 5, $"{a}: {figures.GetValueOrDefault(a)} steps"));
    }

    /// <summary>One random sequence: the job's subtasks, its coordinator, and what each checkpoint captured.</summary>
    private sealed class Run : ICheckpointGateway
    {
        private readonly int _seed;
        private readonly Random _random;
        private readonly ManualTimeProvider _clock = new();
        private readonly InMemoryCheckpointStore _store;
        private readonly Dictionary<long, Dictionary<int, StateModel>> _cuts = [];
        private readonly Dictionary<long, HashSet<int>> _pendingCuts = [];
        private readonly HashSet<string> _leftovers = new(StringComparer.Ordinal);
        private CheckpointCoordinator _coordinator = null!;
        private List<ChangelogHarness> _subtasks = [];
        private StateModel _model = new();
        private int _parallelism;
        private long? _notOwned;
        private bool _dropNotifications;
        private TimeSpan _materializeInterval;
        private int _maxChain;

        public Run(int seed)
        {
            _seed = seed;
            _random = new Random(seed);
            _store = new InMemoryCheckpointStore(_clock);
        }

        public List<string> Log { get; } = [];

        private ICheckpointStore Store => _store;

        public async Task StartAsync()
        {
            _maxChain = _random.Next(1, 4);
            _materializeInterval = _random.Next(2) == 0 ? TimeSpan.FromSeconds(20) : TimeSpan.FromHours(1);
            _coordinator = NewCoordinator(numRetained: _random.Next(1, 4));
            await _coordinator.RecoverSharedStateAsync(JobId);
            await DeployAsync(_random.Next(1, 4), restore: null, owned: false, firstId: 1);
        }

        public async Task<string> StepAsync()
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            var roll = _random.Next(100);
            string action;
            if (roll < 25)
            {
                action = "mutate";
                for (var i = _random.Next(1, 30); i > 0; i--)
                {
                    Log.Add(_model.ApplyRandom(_random, key => _subtasks[SubtaskOf(key, _parallelism)].States));
                }
            }
            else if (roll < 50)
            {
                action = "checkpoint";
                var id = await TriggerAsync();
                await CutAsync(id, Enumerable.Range(0, _parallelism));
            }
            else if (roll < 60)
            {
                action = "partial";
                var id = await TriggerAsync();
                await CutAsync(id, Enumerable.Range(0, _parallelism).Where(_ => _random.Next(2) == 0));
            }
            else if (roll < 70)
            {
                action = "deliver";
                if (OldestPending() is { } id)
                {
                    await CutAsync(id, Enumerable.Range(0, _parallelism).Where(i => !_pendingCuts[id].Contains(i)));
                }
            }
            else if (roll < 76)
            {
                action = "decline";
                if (OldestPending() is { } id && Enumerable.Range(0, _parallelism).FirstOrDefault(i => !_pendingCuts[id].Contains(i), -1) is var subtask and >= 0)
                {
                    Log.Add($"subtask {subtask} declines {id}");
                    await _coordinator.ReceiveDeclineAsync(new TaskKey(Uid, subtask), id, "injected");
                }
            }
            else if (roll < 82)
            {
                action = "expire";
                _clock.Advance(TimeSpan.FromMinutes(2));
                await _coordinator.OnTickAsync();
            }
            else if (roll < 92)
            {
                action = "failover";
                await FailoverAsync();
            }
            else
            {
                action = "crash";
                await CrashAsync();
            }

            await SettleAsync();
            return action;
        }

        /// <summary>The invariants of the class summary.</summary>
        public async Task CheckAsync(string context)
        {
            var stored = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var file in Store.ListFilesAsync(CheckpointLayout.SharedDirectory(JobId)))
            {
                stored.Add(file.Path);
            }

            var referenced = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (id, metadata) in await CompleteCheckpointsAsync())
            {
                referenced.UnionWith(metadata.ReferencedFiles().Where(CheckpointLayout.IsSharedFile));
                var restored = await RestoreAsync(metadata.Operators.Single().Subtasks.Select(s => s.KeyedState!).SelectMany(k => k.KeyGroups).ToArray(), new KeyGroupRange(0, MaxParallelism));
                var parallelism = metadata.Operators.Single().Parallelism;
                foreach (var key in StateModel.Keys)
                {
                    _cuts[id][SubtaskOf(key, parallelism)].AssertKey(restored, key, $"{context}: checkpoint {id} (p={parallelism})");
                }
            }

            var inFlight = _subtasks.SelectMany(s => s.Changelog.LiveFiles).ToHashSet(StringComparer.Ordinal);
            var missing = referenced.Union(inFlight).Except(stored).ToArray();
            var leaked = stored.Except(referenced).Except(inFlight).Except(_leftovers).ToArray();
            Assert.True(missing.Length == 0, $"{context}: files named by complete checkpoints or in flight are missing: {string.Join(", ", missing)}");
            Assert.True(leaked.Length == 0, $"{context}: files nothing needs are left: {string.Join(", ", leaked)}");
        }

        // Gateway: the coordinator's notifications go to the current subtasks at once.
        public Task TriggerCheckpointAsync(TaskKey source, long checkpointId, DateTimeOffset timestamp, CheckpointKind kind) => Task.CompletedTask;

        public void NotifyCheckpointComplete(TaskKey task, long checkpointId)
        {
            _pendingCuts.Remove(checkpointId);
            if (!_dropNotifications)
            {
                Subtask(task)?.Changelog.NotifyComplete(checkpointId);
            }
        }

        public void NotifyCheckpointAborted(TaskKey task, long checkpointId)
        {
            _pendingCuts.Remove(checkpointId);
            if (!_dropNotifications)
            {
                Subtask(task)?.Changelog.NotifyAborted(checkpointId);
            }
        }

        public void FailJob(string reason) => Log.Add($"fail job: {reason}");

        private ChangelogHarness? Subtask(TaskKey task) => task.Subtask < _subtasks.Count ? _subtasks[task.Subtask] : null;

        private static int SubtaskOf(string key, int parallelism) =>
            KeyGroupRange.SubtaskFor(KeyGroupAssigner.KeyGroupFor(key, MaxParallelism), MaxParallelism, parallelism);

        private CheckpointCoordinator NewCoordinator(int numRetained)
        {
            Log.Add($"coordinator with num-retained {numRetained}");
            return new CheckpointCoordinator(new CoordinatorSettings(null, TimeSpan.FromMinutes(1), TimeSpan.Zero, 10, 1000, numRetained), _store, this, _clock, NullLogger.Instance);
        }

        private CoordinatorPlan Plan(int parallelism)
        {
            var tasks = Enumerable.Range(0, parallelism).Select(i => new TaskKey(Uid, i)).ToArray();
            return new CoordinatorPlan(JobId, JobId, new Dictionary<string, OperatorDescriptor> { [Uid] = new(Uid, Uid, parallelism, MaxParallelism) }, tasks, tasks);
        }

        private async Task<long> TriggerAsync()
        {
            // A newer barrier overtakes the older ones still aligning: they are declined.
            while (OldestPending() is { } older)
            {
                await _coordinator.ReceiveDeclineAsync(new TaskKey(Uid, Enumerable.Range(0, _parallelism).First(i => !_pendingCuts[older].Contains(i))), older, "a newer barrier", alignmentAborted: true);
                _pendingCuts.Remove(older);
            }

            var id = await _coordinator.TriggerAsync(CheckpointKind.Checkpoint) ?? throw new InvalidOperationException("not triggered");
            _pendingCuts[id] = [];
            _cuts[id] = [];
            Log.Add($"trigger {id}");
            return id;
        }

        private long? OldestPending() =>
            _pendingCuts.Keys.Where(id => _coordinator.PendingIds.Contains(id) && _pendingCuts[id].Count < _parallelism).Order().Cast<long?>().FirstOrDefault();

        /// <summary>Barrier <paramref name="id"/> reaches these subtasks: each cuts, writes and acknowledges.</summary>
        private async Task CutAsync(long id, IEnumerable<int> subtasks)
        {
            foreach (var index in subtasks.ToArray())
            {
                if (!_coordinator.PendingIds.Contains(id) || !_pendingCuts.TryGetValue(id, out var cut))
                {
                    return;
                }

                var subtask = _subtasks[index];
                _cuts[id][index] = _model.Clone();
                cut.Add(index);
                using var snapshot = subtask.Changelog.Capture(id);
                var handle = await snapshot.WriteAsync(Store, $"{JobId}/chk-{id}/unused", CancellationToken.None);
                snapshot.HandOver();
                Log.Add($"subtask {index} cuts {id}: {handle.KeyGroups.Sum(k => k.Segments.Count)} segments");
                var ack = new TaskCheckpointAck(new Dictionary<string, SubtaskStateSnapshot> { [Uid] = new(index, handle, []) }, TimeSpan.Zero, TimeSpan.Zero);
                await _coordinator.ReceiveAcknowledgeAsync(new TaskKey(Uid, index), id, ack);
            }
        }

        /// <summary>A task failed: the attempt ends (pending checkpoints abort, subtasks are cancelled) and the next restores the latest checkpoint, maybe at another parallelism.</summary>
        private async Task FailoverAsync()
        {
            // Subtasks being torn down may never hear that their pending checkpoints aborted.
            _dropNotifications = _random.Next(2) == 0;
            await _coordinator.StopAsync(CheckpointFailureReason.JobRestarting);
            _dropNotifications = false;
            foreach (var subtask in _subtasks)
            {
                subtask.Dispose();
            }

            await SettleAsync();
            var latest = _coordinator.LatestCompleted;
            Log.Add($"failover to {latest?.CheckpointId}");
            await DeployAsync(_random.Next(1, 4), latest, owned: latest is not null && latest.CheckpointId != _notOwned, firstId: _coordinator.NextCheckpointId);
        }

        /// <summary>The process dies (nothing is cleaned up); a new one restores the latest complete checkpoint in CLAIM or NO_CLAIM mode.</summary>
        private async Task CrashAsync()
        {
            var latest = await CheckpointLocator.FindLatestAsync(Store, JobId);
            var claim = _random.Next(2) == 0;
            _coordinator = NewCoordinator(numRetained: _random.Next(1, 4));
            _pendingCuts.Clear();
            if (latest is not null)
            {
                _coordinator.AddRestored(latest, claim);
            }

            _notOwned = latest is not null && !claim ? latest.CheckpointId : null;
            await _coordinator.RecoverSharedStateAsync(JobId);
            Log.Add($"crash; restore {latest?.CheckpointId} {(claim ? "CLAIM" : "NO_CLAIM")}");

            // The sweep took every unreferenced file older than the newest complete checkpoint; newer ones may stay.
            var complete = await CompleteCheckpointsAsync();
            var referenced = complete.SelectMany(c => c.Metadata.ReferencedFiles()).ToHashSet(StringComparer.Ordinal);
            var newest = complete.Count == 0 ? (DateTimeOffset?)null : (await Store.GetFileAsync(CheckpointLayout.MetadataPath(JobId, complete[0].Id)))!.LastModified;
            _leftovers.Clear();
            await foreach (var file in Store.ListFilesAsync(CheckpointLayout.SharedDirectory(JobId)))
            {
                if (!referenced.Contains(file.Path))
                {
                    Assert.True(newest is null || file.LastModified >= newest, $"seed {_seed}: the sweep left {file.Path}, older than the newest complete checkpoint");
                    _leftovers.Add(file.Path);
                }
            }

            var existing = await CheckpointLocator.ListCheckpointIdsAsync(Store, JobId);
            await DeployAsync(_random.Next(1, 4), latest, owned: claim, firstId: existing.Count == 0 ? 1 : existing[0] + 1);
        }

        private async Task DeployAsync(int parallelism, CompletedCheckpoint? restore, bool owned, long firstId)
        {
            _parallelism = parallelism;
            _subtasks = [];
            var model = new StateModel();
            for (var i = 0; i < parallelism; i++)
            {
                var range = KeyGroupRange.ForSubtask(MaxParallelism, parallelism, i);
                var restored = restore is null ? null : StateAssignment.Assign(restore.Metadata.Operators.Single(), parallelism, MaxParallelism, i).KeyGroups;
                var subtask = new ChangelogHarness(Store, _clock, ChangelogHarness.Options(_maxChain, _materializeInterval, owned), range, restored, Uid, i, MaxParallelism);
                if (restored is not null)
                {
                    await KeyedStateRestore.RestoreAsync(Store, subtask.States.Backend, restored, CancellationToken.None);
                }

                _subtasks.Add(subtask);
            }

            if (restore is not null)
            {
                var byOwner = _cuts[restore.CheckpointId];
                var oldParallelism = restore.Metadata.Operators.Single().Parallelism;
                foreach (var key in StateModel.Keys)
                {
                    model.CopyKeyFrom(byOwner[SubtaskOf(key, oldParallelism)], key);
                }
            }

            _model = model;
            _coordinator.Start(Plan(parallelism), firstId);
            Log.Add($"deploy p={parallelism} from {restore?.CheckpointId} owned={owned}");
        }

        /// <summary>Waits for background materializations and deletes, so that a step's outcome does not depend on thread timing.</summary>
        private async Task SettleAsync()
        {
            await _coordinator.SharedDeletes;
            foreach (var subtask in _subtasks)
            {
                await subtask.Changelog.MaterializationUpload.ContinueWith(static _ => { }, TaskScheduler.Default);
                await subtask.Changelog.Deletes;
            }
        }

        private async Task<List<(long Id, CheckpointMetadata Metadata)>> CompleteCheckpointsAsync()
        {
            var complete = new List<(long, CheckpointMetadata)>();
            foreach (var id in await CheckpointLocator.ListCheckpointIdsAsync(Store, JobId))
            {
                if (await Store.GetFileAsync(CheckpointLayout.MetadataPath(JobId, id)) is not null)
                {
                    complete.Add((id, (await CheckpointLocator.LoadAsync(Store, CheckpointLayout.MetadataPath(JobId, id))).Metadata));
                }
            }

            return complete;
        }

        private async Task<StateModel.States> RestoreAsync(IReadOnlyList<KeyGroupState> keyGroups, KeyGroupRange range)
        {
            var backend = new HeapKeyedStateBackend<string>(range, MaxParallelism);
            var states = StateModel.States.Register(backend);
            await KeyedStateRestore.RestoreAsync(Store, backend, keyGroups, CancellationToken.None);
            return states;
        }
    }
}
