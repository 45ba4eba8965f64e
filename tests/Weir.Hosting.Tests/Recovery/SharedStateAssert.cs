using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Storage;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>What incremental checkpoints leave in a job's <c>shared/</c> directory.</summary>
internal static class SharedStateAssert
{
    /// <summary>
    /// Waits until the files in <c>&lt;job&gt;/shared/</c> are exactly those the complete
    /// checkpoints in the job's directory name (nothing leaked, nothing missing), and returns them
    /// with the number of Delta segments the newest complete checkpoint names and whether it holds
    /// keyed state at all (a checkpoint taken after the keyed subtasks finished holds none).
    /// </summary>
    public static async Task<(int SharedFiles, int Deltas, long NewestCheckpoint, bool NewestHasKeyedState)> ExactlyReferencedAsync(ICheckpointStore store, string jobId)
    {
        IReadOnlySet<string> referenced = new HashSet<string>();
        IReadOnlySet<string> stored = new HashSet<string>();
        var deltas = 0;
        long newest = 0;
        var keyed = false;
        var deadline = DateTime.UtcNow + Eventually.DefaultTimeout;
        while (true)
        {
            (referenced, deltas, newest, keyed) = await ReferencedAsync(store, jobId);
            stored = await SharedFilesAsync(store, jobId);
            if (stored.SetEquals(referenced))
            {
                return (stored.Count, deltas, newest, keyed);
            }

            if (DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"shared/ of job {jobId} holds {stored.Count} files, complete checkpoints name {referenced.Count}; leaked: [{string.Join(", ", stored.Except(referenced))}]; missing: [{string.Join(", ", referenced.Except(stored))}]");
        return default;
    }

    public static async Task<IReadOnlySet<string>> SharedFilesAsync(ICheckpointStore store, string jobId)
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var file in store.ListFilesAsync(CheckpointLayout.SharedDirectory(jobId)))
        {
            files.Add(file.Path);
        }

        return files;
    }

    private static async Task<(IReadOnlySet<string> Files, int Deltas, long Newest, bool Keyed)> ReferencedAsync(ICheckpointStore store, string jobId)
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        var deltas = -1;
        long newest = 0;
        var keyed = false;
        foreach (var id in await CheckpointLocator.ListCheckpointIdsAsync(store, jobId))
        {
            if (await CheckpointLocator.TryLoadAsync(store, CheckpointLayout.MetadataPath(jobId, id)) is not { Metadata: var metadata })
            {
                continue;
            }

            files.UnionWith(metadata.ReferencedFiles().Where(CheckpointLayout.IsSharedFile));
            if (deltas < 0)
            {
                newest = id;
                var keyGroups = metadata.Operators.SelectMany(o => o.Subtasks).SelectMany(s => s.KeyedState?.KeyGroups ?? []).ToArray();
                deltas = keyGroups.SelectMany(k => k.Segments).Count(s => s.Kind == SegmentKind.Delta);
                keyed = keyGroups.Length > 0;
            }
        }

        return (files, Math.Max(deltas, 0), newest, keyed);
    }
}
