using Weir.Checkpointing.Metadata;
using Weir.Serialization;
using Weir.Storage;
using Weir.Streaming.State;

namespace Weir.Streaming.Inspection;

/// <summary>
/// Reads operator state out of a completed checkpoint, without running the job (in the spirit
/// of Flink's State Processor API): for verification jobs, tests and tools.
/// </summary>
public static class CheckpointReader
{
    /// <summary>Every entry of a keyed value state (registered with a <see cref="ValueStateDescriptor{T}"/> named <paramref name="stateName"/>), over all key groups.</summary>
    /// <exception cref="ArgumentException">The checkpoint has no such operator.</exception>
    /// <exception cref="CorruptCheckpointException">A state file is missing or fails its checksum.</exception>
    public static async Task<IReadOnlyDictionary<TKey, TValue>> ReadKeyedValueStateAsync<TKey, TValue>(
        ICheckpointStore store,
        CheckpointMetadata checkpoint,
        string operatorUid,
        string stateName,
        CancellationToken cancellationToken = default)
        where TKey : notnull
    {
        var op = Operator(checkpoint, operatorUid);
        var range = new KeyGroupRange(0, op.MaxParallelism);
        var backend = new HeapKeyedStateBackend<TKey>(range, op.MaxParallelism);
        var keyGroups = op.Subtasks.Where(s => s.KeyedState is not null).SelectMany(s => s.KeyedState!.KeyGroups).ToArray();
        await KeyedStateRestore.RestoreAsync(store, backend, keyGroups, cancellationToken);
        var table = backend.Table<TValue>(stateName, copyValue: null);
        var entries = new Dictionary<TKey, TValue>();
        for (var index = 0; index < range.Count; index++)
        {
            foreach (var (key, value) in table.EntriesOf(index))
            {
                entries[key] = value;
            }
        }

        return entries;
    }

    /// <summary>The items of an operator list state, over all subtasks.</summary>
    /// <exception cref="ArgumentException">The checkpoint has no such operator.</exception>
    public static IReadOnlyList<T> ReadOperatorListState<T>(CheckpointMetadata checkpoint, string operatorUid, string stateName)
    {
        var serializer = Serializers.Get<T>();
        return Operator(checkpoint, operatorUid).Subtasks
            .SelectMany(s => s.OperatorState)
            .Where(s => s.Name == stateName)
            .SelectMany(s => s.Items)
            .Select(bytes =>
            {
                var reader = new DataReader(bytes);
                return serializer.Read(ref reader);
            })
            .ToArray();
    }

    private static OperatorStateSnapshot Operator(CheckpointMetadata checkpoint, string operatorUid) =>
        checkpoint.Operators.FirstOrDefault(o => o.OperatorUid == operatorUid)
        ?? throw new ArgumentException($"Checkpoint {checkpoint.CheckpointId} of job '{checkpoint.JobId}' has no operator '{operatorUid}' (it has: {string.Join(", ", checkpoint.Operators.Select(o => o.OperatorUid))}).", nameof(operatorUid));
}
