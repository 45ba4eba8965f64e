using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;

namespace Weir.Checkpointing.Tests.Recovery;

public sealed class StateAssignmentTests
{
    [Fact]
    public void On_rescale_every_key_group_of_the_old_subtasks_lands_in_exactly_one_new_subtask_that_owns_it()
    {
        foreach (var maxParallelism in new[] { 8, 13, 128 })
        {
            for (var oldParallelism = 1; oldParallelism <= 8; oldParallelism++)
            {
                var random = new Random((maxParallelism * 100) + oldParallelism);
                var snapshot = KeyedSnapshot(maxParallelism, oldParallelism, keyGroup => random.Next(3) > 0);
                var stored = snapshot.Subtasks.SelectMany(s => s.KeyedState!.KeyGroups).ToDictionary(k => k.KeyGroup);

                for (var newParallelism = 1; newParallelism <= 8; newParallelism++)
                {
                    var owner = new Dictionary<int, int>();
                    for (var subtask = 0; subtask < newParallelism; subtask++)
                    {
                        var assigned = StateAssignment.Assign(snapshot, newParallelism, maxParallelism, subtask);
                        var context = $"M={maxParallelism}, {oldParallelism} -> {newParallelism}, subtask {subtask}";
                        Assert.Equal(KeyGroupRange.ForSubtask(maxParallelism, newParallelism, subtask), assigned.Range);
                        foreach (var group in assigned.KeyGroups)
                        {
                            Assert.True(assigned.Range.Contains(group.KeyGroup), $"{context}: got key group {group.KeyGroup} outside its range {assigned.Range}");
                            Assert.True(owner.TryAdd(group.KeyGroup, subtask), $"{context}: key group {group.KeyGroup} also went to subtask {owner.GetValueOrDefault(group.KeyGroup)}");
                            Assert.Same(stored[group.KeyGroup], group);
                        }

                        Assert.Equal(assigned.KeyGroups.Select(g => g.KeyGroup).Order(), assigned.KeyGroups.Select(g => g.KeyGroup));
                    }

                    Assert.Equal(stored.Keys.Order(), owner.Keys.Order());
                }
            }
        }
    }

    [Fact]
    public void Even_split_list_state_is_spread_over_the_new_subtasks_without_loss_or_duplicates()
    {
        for (var oldParallelism = 1; oldParallelism <= 8; oldParallelism++)
        {
            var random = new Random(oldParallelism);
            var snapshot = ListSnapshot(oldParallelism, OperatorStateDistribution.EvenSplit, random);
            var all = snapshot.Subtasks.OrderBy(s => s.SubtaskIndex).SelectMany(s => s.OperatorState.Single().Items).Select(i => i[0]).ToArray();

            for (var newParallelism = 1; newParallelism <= 8; newParallelism++)
            {
                var parts = Enumerable.Range(0, newParallelism)
                    .Select(i => StateAssignment.Assign(snapshot, newParallelism, 128, i).ListStates["offsets"].Select(b => b[0]).ToArray())
                    .ToArray();

                Assert.Equal(all, parts.SelectMany(p => p));
                Assert.True(parts.Max(p => p.Length) - parts.Min(p => p.Length) <= 1, $"{oldParallelism} -> {newParallelism}: uneven split {string.Join("/", parts.Select(p => p.Length))}");
            }
        }
    }

    [Fact]
    public void Union_list_state_gives_every_new_subtask_all_items()
    {
        var snapshot = ListSnapshot(3, OperatorStateDistribution.Union, new Random(1));
        var all = snapshot.Subtasks.SelectMany(s => s.OperatorState.Single().Items).Select(i => i[0]).ToArray();

        for (var subtask = 0; subtask < 5; subtask++)
        {
            Assert.Equal(all, StateAssignment.Assign(snapshot, 5, 128, subtask).ListStates["offsets"].Select(b => b[0]));
        }
    }

    [Fact]
    public void List_states_are_assigned_by_name_in_old_subtask_order()
    {
        var snapshot = new OperatorStateSnapshot("source", "Source", 2, 128,
        [
            new SubtaskStateSnapshot(1, null, [Items("a", 3), Items("b", 30)]),
            new SubtaskStateSnapshot(0, null, [Items("a", 1, 2), Items("b", 10, 20)]),
        ]);

        var restored = StateAssignment.Assign(snapshot, 1, 128, 0);

        Assert.Equal([1, 2, 3], restored.ListStates["a"].Select(i => i[0]));
        Assert.Equal([10, 20, 30], restored.ListStates["b"].Select(i => i[0]));
        Assert.Empty(restored.KeyGroups);
    }

    [Fact]
    public void Validation_names_an_operator_with_state_that_the_job_does_not_have()
    {
        var checkpoint = Checkpoint(new OperatorStateSnapshot("old-counter", "Counter", 1, 128, [new SubtaskStateSnapshot(0, null, [Items("a", 1)])]));
        var job = new Dictionary<string, OperatorDescriptor> { ["counter"] = new("counter", "Counter", 1, 128) };

        var error = Assert.Throws<CheckpointMismatchException>(() => StateAssignment.Validate(checkpoint, "file:///ckpt/job/chk-3", job));

        Assert.Contains("'file:///ckpt/job/chk-3'", error.Message);
        Assert.Contains("operator 'Counter' (uid 'old-counter'), which this job does not have", error.Message);
        Assert.Contains("'Counter' (counter)", error.Message);
    }

    [Fact]
    public void Validation_names_a_keyed_operator_whose_max_parallelism_changed()
    {
        var checkpoint = Checkpoint(KeyedSnapshot(128, 2, _ => true));
        var job = new Dictionary<string, OperatorDescriptor> { ["count"] = new("count", "Count", 2, 256) };

        var error = Assert.Throws<CheckpointMismatchException>(() => StateAssignment.Validate(checkpoint, "chk-3", job));

        Assert.Contains("operator 'Count' (uid 'count') with max parallelism 128, but the job has 256", error.Message);
        Assert.Contains("pipeline.max-parallelism", error.Message);
    }

    [Fact]
    public void Validation_accepts_stateless_operators_that_are_gone_and_non_keyed_ones_with_another_max_parallelism()
    {
        var checkpoint = Checkpoint(
            new OperatorStateSnapshot("gone", "Gone", 1, 128, [new SubtaskStateSnapshot(0, null, [])]),
            new OperatorStateSnapshot("source", "Source", 1, 128, [new SubtaskStateSnapshot(0, null, [Items("offsets", 1)])]));
        var job = new Dictionary<string, OperatorDescriptor> { ["source"] = new("source", "Source", 4, 64) };

        StateAssignment.Validate(checkpoint, "chk-1", job);
    }

    private static CheckpointMetadata Checkpoint(params OperatorStateSnapshot[] operators) =>
        new(3, DateTimeOffset.UnixEpoch, "job", "job", CheckpointKind.Checkpoint, operators);

    private static OperatorListStateHandle Items(string name, params byte[] values) =>
        new(name, OperatorStateDistribution.EvenSplit, values.Select(v => new[] { v }).ToArray());

    private static OperatorStateSnapshot KeyedSnapshot(int maxParallelism, int parallelism, Func<int, bool> hasState) =>
        new("count", "Count", parallelism, maxParallelism, Enumerable.Range(0, parallelism).Select(i =>
        {
            var range = KeyGroupRange.ForSubtask(maxParallelism, parallelism, i);
            var groups = Enumerable.Range(range.Start, range.Count).Where(hasState)
                .Select(g => new KeyGroupState(g, [new StateSegment($"job/chk-3/count-{i}", g * 10, 10, (uint)g, SegmentKind.Full)]))
                .ToArray();
            return new SubtaskStateSnapshot(i, new KeyedStateHandle(range, groups), []);
        }).ToArray());

    private static OperatorStateSnapshot ListSnapshot(int parallelism, OperatorStateDistribution distribution, Random random)
    {
        byte next = 0;
        return new("source", "Source", parallelism, 128, Enumerable.Range(0, parallelism)
            .Select(i => new SubtaskStateSnapshot(i, null, [new OperatorListStateHandle("offsets", distribution, Enumerable.Range(0, random.Next(0, 6)).Select(_ => new[] { next++ }).ToArray())]))
            .ToArray());
    }
}
