using Weir.Checkpointing.Configuration;

namespace Weir.Checkpointing.Restart;

/// <summary>
/// restart-strategy.type = fixed-delay: at most <c>attempts</c> restarts over the job's life, each
/// after the same delay. The failure after the last allowed restart fails the job.
/// </summary>
internal sealed class FixedDelayRestartBackoffTimeStrategy : IRestartBackoffTimeStrategy
{
    private readonly int _maxAttempts;
    private readonly TimeSpan _delay;
    private long _failures;

    public FixedDelayRestartBackoffTimeStrategy(int maxAttempts, TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxAttempts);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        _maxAttempts = maxAttempts;
        _delay = delay;
    }

    // The n-th failure asks for the n-th restart.
    public bool CanRestart => _failures <= _maxAttempts;

    public TimeSpan BackoffTime => _delay;

    public string? GiveUpReason => CanRestart
        ? null
        : _maxAttempts == 0
            ? "the fixed-delay restart strategy allows no restarts (restart-strategy.fixed-delay.attempts is 0)"
            : $"the fixed-delay restart strategy exhausted its {_maxAttempts} {(_maxAttempts == 1 ? "attempt" : "attempts")}";

    public void NotifyFailure(Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        _failures++;
    }

    public override string ToString() => $"fixed-delay(attempts={_maxAttempts}, delay={FlinkDuration.Format(_delay)})";
}
