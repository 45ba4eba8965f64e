using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;

namespace Weir.Hosting.Grains;

/// <summary>Conveniences over <see cref="ICheckpointCoordinatorGrain"/>.</summary>
public static class CheckpointCoordinatorGrainExtensions
{
    /// <summary>
    /// Takes a checkpoint (or savepoint) now and waits for it: triggers, then polls until it
    /// completed, and triggers again if it was aborted (a subtask failed, a storage fault) or could
    /// not be triggered yet (the job restarting). The completed checkpoint, or null if none
    /// completed within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<CompletedCheckpoint?> TakeCheckpointAsync(this ICheckpointCoordinatorGrain coordinator, CheckpointKind kind, TimeProvider clock, TimeSpan timeout)
    {
        var deadline = clock.GetUtcNow() + timeout;
        while (clock.GetUtcNow() < deadline)
        {
            var failedBefore = (await coordinator.GetStatsAsync()).Failed;
            if (await coordinator.TriggerAsync(kind) is not { } id)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), clock);
                continue;
            }

            while (clock.GetUtcNow() < deadline)
            {
                if (await coordinator.GetLatestCompletedAsync() is { } latest && latest.CheckpointId >= id)
                {
                    return latest;
                }

                if ((await coordinator.GetStatsAsync()).Failed > failedBefore)
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20), clock);
            }
        }

        return null;
    }
}
