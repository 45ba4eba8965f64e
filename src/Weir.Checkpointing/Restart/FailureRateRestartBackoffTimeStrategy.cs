using Weir.Checkpointing.Configuration;

namespace Weir.Checkpointing.Restart;

/// <summary>
/// restart-strategy.type = failure-rate: restarts after a fixed delay unless more than
/// <c>maxFailuresPerInterval</c> failures fall within one <c>interval</c>, a window that slides
/// with time: old failures stop counting once they are more than an interval older than the newest.
/// </summary>
/// <remarks>
/// Only the newest <c>maxFailuresPerInterval + 1</c> failure times are kept: the job fails when
/// the oldest of them is within an interval of the newest. The decision is taken at the newest
/// failure's time, so it does not change while the caller waits to read it.
/// </remarks>
internal sealed class FailureRateRestartBackoffTimeStrategy : IRestartBackoffTimeStrategy
{
    private readonly int _maxFailuresPerInterval;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _delay;
    private readonly TimeProvider _time;
    private readonly Queue<DateTimeOffset> _failureTimes;
    private DateTimeOffset _newest;

    public FailureRateRestartBackoffTimeStrategy(int maxFailuresPerInterval, TimeSpan interval, TimeSpan delay, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFailuresPerInterval, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        _maxFailuresPerInterval = maxFailuresPerInterval;
        _interval = interval;
        _delay = delay;
        _time = time;
        _failureTimes = new Queue<DateTimeOffset>(maxFailuresPerInterval + 1);
    }

    public bool CanRestart => _failureTimes.Count <= _maxFailuresPerInterval || Span > _interval;

    public TimeSpan BackoffTime => _delay;

    public string? GiveUpReason => CanRestart
        ? null
        : $"the failure-rate restart strategy saw {_failureTimes.Count} failures within {FlinkDuration.Format(Span)}, " +
          $"more than the {_maxFailuresPerInterval} allowed per {FlinkDuration.Format(_interval)}";

    /// <summary>Time from the oldest kept failure to the newest.</summary>
    private TimeSpan Span => _failureTimes.Count == 0 ? TimeSpan.Zero : _newest - _failureTimes.Peek();

    public void NotifyFailure(Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        _newest = _time.GetUtcNow();
        _failureTimes.Enqueue(_newest);
        if (_failureTimes.Count > _maxFailuresPerInterval + 1)
        {
            _failureTimes.Dequeue();
        }
    }

    public override string ToString() =>
        $"failure-rate(max-failures-per-interval={_maxFailuresPerInterval}, failure-rate-interval={FlinkDuration.Format(_interval)}, delay={FlinkDuration.Format(_delay)})";
}
