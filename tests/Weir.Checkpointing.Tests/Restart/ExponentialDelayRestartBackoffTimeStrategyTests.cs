using Weir.Checkpointing.Restart;

namespace Weir.Checkpointing.Tests.Restart;

public sealed class ExponentialDelayRestartBackoffTimeStrategyTests
{
    private static readonly Exception Failure = new InvalidOperationException("task failed");
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void The_backoff_grows_by_the_multiplier_after_each_failure_up_to_the_maximum()
    {
        var strategy = Strategy(initial: TimeSpan.FromSeconds(1), max: TimeSpan.FromSeconds(10), multiplier: 2, jitter: 0);

        var backoffs = FailRepeatedly(strategy, 7);

        Assert.Equal(new[] { 1, 2, 4, 8, 10, 10, 10 }.Select(s => TimeSpan.FromSeconds(s)), backoffs);
        Assert.True(strategy.CanRestart);
    }

    [Fact]
    public void The_backoff_follows_Flinks_default_multiplier()
    {
        var strategy = Strategy(initial: TimeSpan.FromSeconds(1), max: TimeSpan.FromMinutes(1), multiplier: 1.5, jitter: 0);

        Assert.Equal(
            new[] { 1000, 1500, 2250, 3375 }.Select(ms => TimeSpan.FromMilliseconds(ms)),
            FailRepeatedly(strategy, 4));
    }

    [Fact]
    public void Jitter_stays_within_the_factor_of_the_backoff_and_within_the_bounds()
    {
        const double jitter = 0.5;
        var initial = TimeSpan.FromSeconds(1);
        var max = TimeSpan.FromSeconds(30);
        var strategy = Strategy(initial, max, multiplier: 2, jitter, random: new Random(7));

        var backoffs = FailRepeatedly(strategy, 200, resetEvery: 10);

        for (var i = 0; i < backoffs.Count; i++)
        {
            var nominal = Math.Min(initial.Ticks * Math.Pow(2, i % 10), max.Ticks);
            var low = Math.Max(initial.Ticks, nominal * (1 - jitter));
            var high = Math.Min(max.Ticks, nominal * (1 + jitter));
            Assert.InRange(backoffs[i].Ticks, (long)Math.Floor(low), (long)Math.Ceiling(high));
        }

        // The jitter actually spreads restarts, also once the backoff is capped.
        Assert.True(backoffs.Where((_, i) => i % 10 == 2).Distinct().Count() > 10, "attempt 3 backoffs vary");
        Assert.True(backoffs.Where((_, i) => i % 10 == 9).Distinct().Count() > 10, "capped backoffs vary");
    }

    [Fact]
    public void The_same_seed_gives_the_same_backoffs()
    {
        var first = FailRepeatedly(Strategy(jitter: 0.3, random: new Random(42)), 20);
        var second = FailRepeatedly(Strategy(jitter: 0.3, random: new Random(42)), 20);

        Assert.Equal(first, second);
    }

    [Fact]
    public void The_backoff_resets_after_running_for_the_threshold_without_failure()
    {
        var threshold = TimeSpan.FromMinutes(5);
        var strategy = Strategy(initial: TimeSpan.FromSeconds(1), max: TimeSpan.FromMinutes(1), multiplier: 2, jitter: 0, resetThreshold: threshold);
        Assert.Equal(TimeSpan.FromSeconds(4), FailRepeatedly(strategy, 3)[^1]);
        _time.Advance(strategy.BackoffTime); // The job restarts ...

        _time.Advance(threshold); // ... and runs for the threshold.
        strategy.NotifyFailure(Failure);

        Assert.Equal(TimeSpan.FromSeconds(1), strategy.BackoffTime);
    }

    [Fact]
    public void The_backoff_keeps_growing_when_the_job_fails_just_before_the_threshold()
    {
        var threshold = TimeSpan.FromMinutes(5);
        var strategy = Strategy(initial: TimeSpan.FromSeconds(1), max: TimeSpan.FromMinutes(1), multiplier: 2, jitter: 0, resetThreshold: threshold);
        FailRepeatedly(strategy, 3);
        _time.Advance(strategy.BackoffTime);

        _time.Advance(threshold - TimeSpan.FromMilliseconds(1));
        strategy.NotifyFailure(Failure);

        Assert.Equal(TimeSpan.FromSeconds(8), strategy.BackoffTime);
    }

    [Fact]
    public void Failures_before_the_pending_restart_are_one_attempt()
    {
        var strategy = Strategy(initial: TimeSpan.FromSeconds(4), max: TimeSpan.FromMinutes(1), multiplier: 2, jitter: 0, attemptsBeforeReset: 1);
        strategy.NotifyFailure(Failure);

        _time.Advance(TimeSpan.FromSeconds(1));
        strategy.NotifyFailure(Failure); // Another subtask of the same failed run.

        Assert.True(strategy.CanRestart);
        Assert.Equal(TimeSpan.FromSeconds(3), strategy.BackoffTime);

        _time.Advance(TimeSpan.FromSeconds(3) + TimeSpan.FromMilliseconds(1));
        strategy.NotifyFailure(Failure);

        Assert.False(strategy.CanRestart);
    }

    [Fact]
    public void More_attempts_than_allowed_before_a_reset_fail_the_job_until_the_backoff_resets()
    {
        var threshold = TimeSpan.FromMinutes(10);
        var strategy = Strategy(jitter: 0, resetThreshold: threshold, attemptsBeforeReset: 3);

        FailRepeatedly(strategy, 3);
        Assert.True(strategy.CanRestart);
        Assert.Null(strategy.GiveUpReason);

        FailRepeatedly(strategy, 1);
        Assert.False(strategy.CanRestart);
        Assert.Equal(
            "the exponential-delay restart strategy exhausted its 3 attempts: they reset only after the job runs 10min without failure",
            strategy.GiveUpReason);
    }

    [Fact]
    public void The_attempt_count_resets_with_the_backoff()
    {
        var threshold = TimeSpan.FromMinutes(10);
        var strategy = Strategy(jitter: 0, resetThreshold: threshold, attemptsBeforeReset: 2);
        FailRepeatedly(strategy, 2);
        _time.Advance(strategy.BackoffTime + threshold);

        FailRepeatedly(strategy, 2);

        Assert.True(strategy.CanRestart);
    }

    [Fact]
    public void Unlimited_attempts_never_overflow_the_backoff()
    {
        var strategy = Strategy(initial: TimeSpan.FromMilliseconds(1), max: TimeSpan.FromDays(1), multiplier: 10, jitter: 0.1, random: new Random(1));

        var backoffs = FailRepeatedly(strategy, 100);

        Assert.All(backoffs, b => Assert.InRange(b, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1)));
        Assert.True(strategy.CanRestart);
    }

    [Fact]
    public void Invalid_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Strategy(initial: TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => Strategy(initial: TimeSpan.FromSeconds(2), max: TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Strategy(multiplier: 0.9));
        Assert.Throws<ArgumentOutOfRangeException>(() => Strategy(jitter: 1.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Strategy(resetThreshold: TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => Strategy(attemptsBeforeReset: 0));
    }

    /// <summary>
    /// Fails the job <paramref name="count"/> times, each time after the pending restart has
    /// happened and the job has run for 1 ms; before every <paramref name="resetEvery"/>-th failure
    /// it runs a day instead, long enough to reset the backoff. Returns the backoff after each failure.
    /// </summary>
    private List<TimeSpan> FailRepeatedly(IRestartBackoffTimeStrategy strategy, int count, int resetEvery = int.MaxValue)
    {
        var backoffs = new List<TimeSpan>();
        for (var i = 0; i < count; i++)
        {
            var running = i > 0 && i % resetEvery == 0 ? TimeSpan.FromDays(1) : TimeSpan.FromMilliseconds(1);
            _time.Advance(strategy.BackoffTime + running);
            strategy.NotifyFailure(Failure);
            backoffs.Add(strategy.BackoffTime);
        }

        return backoffs;
    }

    private ExponentialDelayRestartBackoffTimeStrategy Strategy(
        TimeSpan? initial = null,
        TimeSpan? max = null,
        double multiplier = 1.5,
        double jitter = 0.1,
        TimeSpan? resetThreshold = null,
        int attemptsBeforeReset = int.MaxValue,
        Random? random = null) =>
        new(
            initial ?? TimeSpan.FromSeconds(1),
            max ?? TimeSpan.FromMinutes(1),
            multiplier,
            resetThreshold ?? TimeSpan.FromHours(1),
            jitter,
            attemptsBeforeReset,
            _time,
            random ?? new Random(0));
}
