using Weir.Checkpointing.Metadata;
using Weir.Storage;
using Weir.Storage.InMemory;
using Weir.Streaming.State;
using Weir.Streaming.State.Changelog;
using Weir.Streaming.Tasks;

namespace Weir.Streaming.Tests.State.Changelog;

/// <summary>A keyed backend with the four model states and a changelog over an in-memory store, driven like a subtask's checkpointer drives it.</summary>
internal sealed class ChangelogHarness : IDisposable
{
    public const int MaxParallelism = 128;
    public const string JobId = "job";

    public ChangelogHarness(ICheckpointStore store, ManualTimeProvider clock, ChangelogOptions options, KeyGroupRange? range = null, IReadOnlyList<KeyGroupState>? restored = null, string uid = "op", int subtask = 0, int maxParallelism = MaxParallelism)
    {
        Store = store;
        var backend = new HeapKeyedStateBackend<string>(range ?? new KeyGroupRange(0, maxParallelism), maxParallelism);
        Changelog = new KeyedStateChangelog(backend, store, JobId, uid, subtask, options, clock, restored);
        States = StateModel.States.Register(backend);
    }

    public ICheckpointStore Store { get; }

    public StateModel.States States { get; }

    public KeyedStateChangelog Changelog { get; }

    public static ChangelogOptions Options(int maxChain = 3, TimeSpan? interval = null, bool owned = true) =>
        new(interval ?? TimeSpan.FromMinutes(10), maxChain, owned);

    /// <summary>Both parts of checkpoint <paramref name="id"/>, the second right away, and its state handed to an acknowledgement.</summary>
    public async Task<KeyedStateHandle> CheckpointAsync(long id)
    {
        using var snapshot = Changelog.Capture(id);
        var handle = await snapshot.WriteAsync(Store, $"{JobId}/chk-{id}/unused", CancellationToken.None);
        snapshot.HandOver();
        return handle;
    }

    /// <summary>A subtask restored from <paramref name="keyGroups"/>: its changelog takes over their chains, its backend holds their state.</summary>
    public static async Task<ChangelogHarness> RestoredAsync(ICheckpointStore store, ManualTimeProvider clock, ChangelogOptions options, IReadOnlyList<KeyGroupState> keyGroups)
    {
        var harness = new ChangelogHarness(store, clock, options, restored: keyGroups);
        try
        {
            await KeyedStateRestore.RestoreAsync(store, harness.States.Backend, keyGroups, CancellationToken.None);
            return harness;
        }
        catch
        {
            harness.Dispose();
            throw;
        }
    }

    /// <summary>Restores <paramref name="keyGroups"/> into a fresh backend over <paramref name="range"/>.</summary>
    public static async Task<StateModel.States> RestoreAsync(ICheckpointStore store, IReadOnlyList<KeyGroupState> keyGroups, KeyGroupRange? range = null)
    {
        var backend = new HeapKeyedStateBackend<string>(range ?? new KeyGroupRange(0, MaxParallelism), MaxParallelism);
        await KeyedStateRestore.RestoreAsync(store, backend, keyGroups, CancellationToken.None);
        return StateModel.States.Register(backend);
    }

    public static async Task<List<string>> SharedFilesAsync(ICheckpointStore store)
    {
        var files = new List<string>();
        await foreach (var file in store.ListFilesAsync(CheckpointLayout.SharedDirectory(JobId)))
        {
            files.Add(file.Path);
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    public void Dispose() => Changelog.Dispose();
}
