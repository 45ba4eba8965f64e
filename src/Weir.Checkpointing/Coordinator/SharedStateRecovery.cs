using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Storage;

namespace Weir.Checkpointing.Coordinator;

/// <summary>
/// Rebuilds a new coordinator's <see cref="SharedStateRegistry"/> from what is in the store, and
/// decides the start-up sweep (the I/O around the registry's decisions; the coordinator deletes).
/// Every complete checkpoint in the job's directory is read: those this run does not own are
/// protected, so a process restart never deletes a file a retained checkpoint needs. If a
/// complete checkpoint cannot be read, nothing is swept: its files are unknown.
/// </summary>
internal static class SharedStateRecovery
{
    /// <summary>What recovery found: the files to sweep, and what could not be read (then nothing is swept).</summary>
    public sealed record Result(IReadOnlyList<string> ToSweep, int CompleteCheckpoints, int SharedFiles, IReadOnlyList<(string Path, Exception Error)> Unreadable);

    /// <param name="store">The job's checkpoint store.</param>
    /// <param name="jobId">The job.</param>
    /// <param name="registry">The registry to protect files in (owned checkpoints are already registered).</param>
    /// <param name="owned">Metadata paths of the checkpoints this run owns (claimed); every other one is protected.</param>
    /// <param name="cancellationToken">Cancels the listing and reads.</param>
    public static async Task<Result> RecoverAsync(ICheckpointStore store, string jobId, SharedStateRegistry registry, IReadOnlySet<string> owned, CancellationToken cancellationToken = default)
    {
        var shared = new List<StoredFile>();
        await foreach (var file in store.ListFilesAsync(CheckpointLayout.SharedDirectory(jobId), cancellationToken))
        {
            shared.Add(file);
        }

        if (shared.Count == 0)
        {
            // Nothing in shared/: nothing to protect (claimed files elsewhere are this run's) and nothing to sweep.
            return new Result([], 0, 0, []);
        }

        var referenced = new HashSet<string>(StringComparer.Ordinal);
        var unreadable = new List<(string, Exception)>();
        DateTimeOffset? newest = null;
        var complete = 0;
        foreach (var id in await CheckpointLocator.ListCheckpointIdsAsync(store, jobId, cancellationToken))
        {
            var path = CheckpointLayout.MetadataPath(jobId, id);
            try
            {
                if (await CheckpointLocator.TryLoadAsync(store, path, cancellationToken) is not { } checkpoint)
                {
                    continue;
                }

                complete++;
                newest = newest is { } n && n > checkpoint.CompletedAt ? n : checkpoint.CompletedAt;
                var files = SharedStateRegistry.SharedFilesOf(checkpoint.Metadata).ToArray();
                referenced.UnionWith(files);
                if (!owned.Contains(path))
                {
                    registry.Protect(files);
                }
            }
            catch (Exception exception) when (exception is CorruptCheckpointException or CheckpointFileNotFoundException)
            {
                // Its _metadata is there (it vanished since, at most): a complete checkpoint whose files are unknown.
                complete++;
                unreadable.Add((path, exception));
            }
        }

        var toSweep = unreadable.Count > 0 ? [] : registry.Sweep(shared, referenced, newest);
        return new Result(toSweep, complete, shared.Count, unreadable);
    }
}
