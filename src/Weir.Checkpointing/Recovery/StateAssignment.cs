using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;

namespace Weir.Checkpointing.Recovery;

/// <summary>The state one operator subtask starts from: its key groups' chains and its operator list states.</summary>
public sealed record OperatorRestoreState(
    KeyGroupRange Range,
    IReadOnlyList<KeyGroupState> KeyGroups,
    IReadOnlyDictionary<string, IReadOnlyList<byte[]>> ListStates)
{
    /// <summary>The in-flight records an unaligned checkpoint kept for the subtask (same parallelism only).</summary>
    public IReadOnlyList<ChannelStateSegment> ChannelState { get; init; } = [];

    /// <summary>Nothing to restore.</summary>
    public static OperatorRestoreState Empty(KeyGroupRange range) => new(range, [], new Dictionary<string, IReadOnlyList<byte[]>>());
}

/// <summary>
/// Splits a checkpoint's state over the subtasks of a (possibly rescaled) job: keyed state moves
/// by whole key groups to the subtask that now owns each group; operator list state is split
/// evenly (or, for union state, given whole to every subtask) in old subtask order.
/// </summary>
public static class StateAssignment
{
    /// <summary>The state of subtask <paramref name="subtask"/> of <paramref name="parallelism"/> for <paramref name="operatorState"/>.</summary>
    public static OperatorRestoreState Assign(OperatorStateSnapshot operatorState, int parallelism, int maxParallelism, int subtask)
    {
        var range = KeyGroupRange.ForSubtask(maxParallelism, parallelism, subtask);
        var keyGroups = operatorState.Subtasks
            .Where(s => s.KeyedState is not null)
            .SelectMany(s => s.KeyedState!.KeyGroups)
            .Where(k => range.Contains(k.KeyGroup))
            .OrderBy(k => k.KeyGroup)
            .ToArray();

        var listStates = new Dictionary<string, IReadOnlyList<byte[]>>(StringComparer.Ordinal);
        var byName = operatorState.Subtasks.OrderBy(s => s.SubtaskIndex).SelectMany(s => s.OperatorState).GroupBy(s => s.Name, StringComparer.Ordinal);
        foreach (var states in byName)
        {
            var items = states.SelectMany(s => s.Items).ToArray();
            listStates[states.Key] = states.First().Distribution == OperatorStateDistribution.Union
                ? items
                : items[(int)((long)items.Length * subtask / parallelism)..(int)((long)items.Length * (subtask + 1) / parallelism)];
        }

        // Validate checks this before a job starts; a failover's restore comes here without it.
        ThrowIfChannelStateRescaled(operatorState, parallelism, checkpointPath: null);
        return new OperatorRestoreState(range, keyGroups, listStates)
        {
            ChannelState = operatorState.Subtasks.FirstOrDefault(s => s.SubtaskIndex == subtask)?.ChannelState ?? [],
        };
    }

    /// <summary>
    /// Checks that a checkpoint fits a job: every operator with state in the checkpoint exists in
    /// the job (by uid), and keyed operators keep their max parallelism (key groups cannot be re-cut).
    /// </summary>
    /// <exception cref="CheckpointMismatchException">Names the operator that does not match.</exception>
    public static void Validate(CheckpointMetadata checkpoint, string checkpointPath, IReadOnlyDictionary<string, OperatorDescriptor> jobOperators)
    {
        foreach (var op in checkpoint.Operators.Where(o => o.StateSize > 0 || o.Subtasks.Any(s => s.OperatorState.Count > 0 || s.KeyedState is not null)))
        {
            if (!jobOperators.TryGetValue(op.OperatorUid, out var current))
            {
                throw new CheckpointMismatchException(
                    $"Checkpoint '{checkpointPath}' holds state of operator '{op.OperatorName}' (uid '{op.OperatorUid}'), which this job does not have (its operators: {string.Join(", ", jobOperators.Values.Select(o => $"'{o.Name}' ({o.Uid})"))}). Give the operator back its uid, or restore another checkpoint.");
            }

            ThrowIfChannelStateRescaled(op, current.Parallelism, checkpointPath);

            var keyed = op.Subtasks.Any(s => s.KeyedState is { KeyGroups.Count: > 0 });
            if (keyed && op.MaxParallelism != current.MaxParallelism)
            {
                throw new CheckpointMismatchException(
                    $"Checkpoint '{checkpointPath}' has operator '{op.OperatorName}' (uid '{op.OperatorUid}') with max parallelism {op.MaxParallelism}, but the job has {current.MaxParallelism}: keyed state is split into max-parallelism key groups, which cannot change (pipeline.max-parallelism).");
            }
        }
    }

    /// <summary>In-flight records cannot be redistributed: an operator holding them must keep its parallelism.</summary>
    /// <exception cref="CheckpointMismatchException">Names the checkpoint (if known), the operator, both parallelisms and the way out.</exception>
    private static void ThrowIfChannelStateRescaled(OperatorStateSnapshot op, int parallelism, string? checkpointPath)
    {
        if (op.HasChannelState && op.Parallelism != parallelism)
        {
            throw new CheckpointMismatchException(
                $"{(checkpointPath is null ? "The checkpoint" : $"Checkpoint '{checkpointPath}'")} is unaligned: it holds in-flight records of operator '{op.OperatorName}' (uid '{op.OperatorUid}') at parallelism {op.Parallelism}, but the job runs it at {parallelism}: in-flight records cannot be redistributed to parallelism {parallelism}. Restore at parallelism {op.Parallelism}, or rescale from a savepoint (savepoints are always aligned).");
        }
    }
}

/// <summary>A checkpoint does not fit the job it should restore.</summary>
public sealed class CheckpointMismatchException(string message) : Exception(message);
