using Weir.Storage;

namespace Weir.Checkpointing.Coordinator;

/// <summary>
/// Deletes the shared files <see cref="SharedStateRegistry"/> lets go: awaited where the caller
/// is not in a hurry (an attempt or the job ending, the start-up sweep), in the background after
/// a checkpoint completes (deleting a large file can take longer than a checkpoint, and must not
/// hold up the next one's acknowledgements). Background deletes run one batch after another.
/// A fenced coordinator deletes nothing; failures are logged, never thrown.
/// </summary>
internal sealed class SharedStateDisposal(ICheckpointStore store, CoordinatorLog log, Func<bool> fenced, Func<string> jobId)
{
    /// <summary>Completes when the background deletes started so far have ended.</summary>
    public Task Pending { get; private set; } = Task.CompletedTask;

    public void DeleteInBackground(IReadOnlyList<string> paths)
    {
        if (fenced() || paths.Count == 0)
        {
            return;
        }

        var previous = Pending;
        Pending = Task.Run(async () =>
        {
            await previous;
            await DeleteAsync(paths);
        });
    }

    public async Task DeleteAsync(IReadOnlyList<string> paths)
    {
        if (fenced() || paths.Count == 0)
        {
            return;
        }

        var deleted = 0;
        foreach (var path in paths)
        {
            try
            {
                await store.DeleteAsync(path);
                deleted++;
            }
            catch (Exception exception)
            {
                log.DiscardFailed(exception, path);
            }
        }

        log.SharedFilesDeleted(deleted, jobId());
    }
}
