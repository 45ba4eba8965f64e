using System.Globalization;
using Weir.Checkpointing.Configuration;

namespace Weir.Checkpointing.Restart;

/// <summary>
/// restart-strategy.type = exponential-delay, with Flink 1.19's semantics: the n-th restart since
/// the last reset waits <c>initial × multiplier^(n-1)</c>, at most <c>max</c>, varied by up to
/// ±<c>jitter</c> of itself so that jobs failing together do not restart together.
/// </summary>
/// <remarks>
/// <para>Failures that arrive before the pending restart has happened (several subtasks failing
/// for one cause) are one attempt: they neither grow the backoff nor count toward the attempts,
/// and <see cref="BackoffTime"/> is what remains of the pending wait.</para>
/// <para>When the job has run for at least the reset threshold since its last restart, the next
/// failure starts over from the initial backoff and the attempt count from zero. More than
/// <c>attemptsBeforeResetBackoff</c> attempts without such a reset fail the job.</para>
/// <para>Unlike Flink, the backoff is capped before the jitter is applied, so jitter still spreads
/// restarts once the backoff has reached its maximum; the result always stays within
/// [initial, max].</para>
/// </remarks>
internal sealed class ExponentialDelayRestartBackoffTimeStrategy : IRestartBackoffTimeStrategy
{
    private readonly TimeSpan _initialBackoff;
    private readonly TimeSpan _maxBackoff;
    private readonly double _multiplier;
    private readonly TimeSpan _resetThreshold;
    private readonly double _jitterFactor;
    private readonly int _attemptsBeforeReset;
    private readonly TimeProvider _time;
    private readonly Random _random;

    /// <summary>Restart attempts since the last reset.</summary>
    private long _attempts;

    /// <summary>When the pending or latest restart happens; null before the first failure.</summary>
    private DateTimeOffset? _nextRestart;

    public ExponentialDelayRestartBackoffTimeStrategy(
        TimeSpan initialBackoff,
        TimeSpan maxBackoff,
        double multiplier,
        TimeSpan resetThreshold,
        double jitterFactor,
        int attemptsBeforeReset,
        TimeProvider time,
        Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initialBackoff, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBackoff, initialBackoff);
        if (!double.IsFinite(multiplier) || multiplier < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(multiplier), multiplier, "The backoff multiplier must be at least 1.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(resetThreshold, TimeSpan.Zero);
        if (!(jitterFactor >= 0 && jitterFactor <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(jitterFactor), jitterFactor, "The jitter factor must be from 0 to 1.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(attemptsBeforeReset, 1);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        _initialBackoff = initialBackoff;
        _maxBackoff = maxBackoff;
        _multiplier = multiplier;
        _resetThreshold = resetThreshold;
        _jitterFactor = jitterFactor;
        _attemptsBeforeReset = attemptsBeforeReset;
        _time = time;
        _random = random;
    }

    public bool CanRestart => _attempts <= _attemptsBeforeReset;

    public TimeSpan BackoffTime =>
        _nextRestart is { } next && next > _time.GetUtcNow() ? next - _time.GetUtcNow() : TimeSpan.Zero;

    public string? GiveUpReason => CanRestart
        ? null
        : $"the exponential-delay restart strategy exhausted its {_attemptsBeforeReset} {(_attemptsBeforeReset == 1 ? "attempt" : "attempts")}: " +
          $"they reset only after the job runs {FlinkDuration.Format(_resetThreshold)} without failure";

    public void NotifyFailure(Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        var now = _time.GetUtcNow();
        if (_nextRestart is { } pending)
        {
            if (now < pending)
            {
                return; // The restart for an earlier failure has not happened yet: same attempt.
            }

            if (now - pending >= _resetThreshold)
            {
                _attempts = 0;
            }
        }

        _nextRestart = now + Backoff(_attempts);
        _attempts++;
    }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"exponential-delay(initial-backoff={FlinkDuration.Format(_initialBackoff)}, max-backoff={FlinkDuration.Format(_maxBackoff)}, " +
        $"backoff-multiplier={_multiplier}, reset-backoff-threshold={FlinkDuration.Format(_resetThreshold)}, " +
        $"jitter-factor={_jitterFactor}, attempts-before-reset-backoff={_attemptsBeforeReset})");

    /// <summary>The wait before restart number <paramref name="attempt"/> + 1 since the last reset.</summary>
    private TimeSpan Backoff(long attempt)
    {
        // In doubles, so a long run of attempts saturates at the maximum instead of overflowing.
        var ticks = Math.Min(_initialBackoff.Ticks * Math.Pow(_multiplier, attempt), _maxBackoff.Ticks);
        var backoff = (long)ticks;
        if (_jitterFactor > 0)
        {
            var spread = (long)(backoff * _jitterFactor);
            backoff += _random.NextInt64(-spread, spread + 1);
        }

        return TimeSpan.FromTicks(Math.Clamp(backoff, _initialBackoff.Ticks, _maxBackoff.Ticks));
    }
}
