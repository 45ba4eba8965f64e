using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;

namespace Weir.Hosting.Grains;

/// <summary>Conveniences over <see cref="ICheckpointCoordinatorGrain"/>.</summary>
public static class CheckpointCoordinatorGrainExtensions
{
    /// <summary>
    /// Takes a checkpoint (or savepoint) now and waits for it: triggers, then polls its outcome
    /// until it completed, and triggers again if it failed (a subtask failed, a storage fault) or
    /// could not be triggered yet (the job restarting). A savepoint waits for itself, never for a
    /// checkpoint that completed meanwhile (retention may discard that one). The completed
    /// checkpoint, or null if none completed within <paramref name="timeout"/> or none can be
    /// triggered any more (every source ended its stream after a completed checkpoint: that one is the last).
    /// </summary>
    public static async Task<CompletedCheckpoint?> TakeCheckpointAsync(this ICheckpointCoordinatorGrain coordinator, CheckpointKind kind, TimeProvider clock, TimeSpan timeout)
    {
        var deadline = clock.GetUtcNow() + timeout;
        while (clock.GetUtcNow() < deadline)
        {
            if (await coordinator.TriggerAsync(kind) is not { } id)
            {
                if (await coordinator.IsInputEndedAsync())
                {
                    return null;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), clock);
                continue;
            }

            while (clock.GetUtcNow() < deadline)
            {
                var outcome = await coordinator.GetOutcomeAsync(id, kind);
                if (outcome.Progress == CheckpointProgress.Completed)
                {
                    return outcome.Checkpoint;
                }

                if (outcome.Progress == CheckpointProgress.Failed)
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20), clock);
            }
        }

        return null;
    }
}
