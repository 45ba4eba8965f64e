using Microsoft.Extensions.Logging;

namespace Weir.Checkpointing.Coordinator;

/// <summary>What the checkpoint coordinator logs.</summary>
internal sealed partial class CoordinatorLog(ILogger logger)
{
    private readonly ILogger _logger = logger;

    [LoggerMessage(100, LogLevel.Debug, "Triggering checkpoint {CheckpointId} of job {JobId} at {SourceCount} sources")]
    public partial void Triggered(long checkpointId, string jobId, int sourceCount);

    [LoggerMessage(101, LogLevel.Information, "Completed checkpoint {CheckpointId} of job {JobId} in {DurationMs:0} ms ({StateSize} bytes; slowest task parts: sync {SyncMs:0} ms, async {AsyncMs:0} ms)")]
    public partial void Completed(long checkpointId, string jobId, double durationMs, long stateSize, double syncMs, double asyncMs);

    [LoggerMessage(102, LogLevel.Warning, "Checkpoint {CheckpointId} of job {JobId} {Reason} {Detail}")]
    public partial void Aborted(long checkpointId, string jobId, string reason, string detail);

    [LoggerMessage(103, LogLevel.Debug, "Ignored acknowledgement of checkpoint {CheckpointId} from {Task}: {Result}")]
    public partial void IgnoredAck(long checkpointId, TaskKey task, string result);

    [LoggerMessage(104, LogLevel.Warning, "Could not delete {Path}")]
    public partial void DiscardFailed(Exception exception, string path);

    [LoggerMessage(105, LogLevel.Debug, "Deleted {Count} shared state files of job {JobId} that no checkpoint uses any more")]
    public partial void SharedFilesDeleted(int count, string jobId);

    [LoggerMessage(106, LogLevel.Information, "Shared state of job {JobId}: {CompleteCheckpoints} complete checkpoints in the store, {SharedFiles} files in shared/, {Swept} unreferenced ones swept")]
    public partial void SharedStateRecovered(string jobId, int completeCheckpoints, int sharedFiles, int swept);

    [LoggerMessage(107, LogLevel.Warning, "Could not read checkpoint {Path} while recovering shared state ({Problem}); shared/ is not swept")]
    public partial void SharedStateUnreadable(string path, string problem);

    [LoggerMessage(108, LogLevel.Warning, "Could not recover the shared state of job {JobId}; shared/ is not swept")]
    public partial void SharedStateRecoveryFailed(Exception exception, string jobId);
}
