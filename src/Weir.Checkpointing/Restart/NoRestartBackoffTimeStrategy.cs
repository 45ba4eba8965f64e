namespace Weir.Checkpointing.Restart;

/// <summary>restart-strategy.type = none: a failed job is never restarted.</summary>
internal sealed class NoRestartBackoffTimeStrategy : IRestartBackoffTimeStrategy
{
    public bool CanRestart => false;

    public TimeSpan BackoffTime => TimeSpan.Zero;

    public string GiveUpReason =>
        "the restart strategy is none, so a failed job is not restarted (none is the default when checkpointing is disabled)";

    public void NotifyFailure(Exception cause) => ArgumentNullException.ThrowIfNull(cause);

    public override string ToString() => "none";
}
