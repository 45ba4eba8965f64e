namespace Weir.Checkpointing.Restart;

/// <summary>
/// Decides whether a failed job restarts and how long it waits first, after Flink's
/// RestartBackoffTimeStrategy. On each failure the job's failure handling calls
/// <see cref="NotifyFailure"/>, then reads <see cref="CanRestart"/>: if true, it restarts the job
/// from the latest completed checkpoint after <see cref="BackoffTime"/>; if false, the job fails
/// with the failure as its cause and <see cref="GiveUpReason"/> as the explanation.
/// </summary>
/// <remarks>
/// A strategy is a pure decision over the failures it is told about and its clock: it starts no
/// timers and does no I/O. It is not thread-safe; one job uses it from one grain turn at a time.
/// Create one per job run with <see cref="RestartStrategies.Create"/>.
/// </remarks>
public interface IRestartBackoffTimeStrategy
{
    /// <summary>Records a failure of the job.</summary>
    void NotifyFailure(Exception cause);

    /// <summary>Whether the job may restart after the failures recorded so far.</summary>
    bool CanRestart { get; }

    /// <summary>How long to wait before restarting, measured from now.</summary>
    TimeSpan BackoffTime { get; }

    /// <summary>Why <see cref="CanRestart"/> is false, in words for the job's failure message; null while it is true.</summary>
    string? GiveUpReason { get; }
}
