using Weir.Checkpointing.Restart;

namespace Weir.Checkpointing.Tests.Restart;

public sealed class FailureRateRestartBackoffTimeStrategyTests
{
    private static readonly Exception Failure = new InvalidOperationException("task failed");
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void Restarts_after_the_delay_while_failures_stay_within_the_rate()
    {
        var strategy = Strategy(maxFailuresPerInterval: 2, interval: TimeSpan.FromMinutes(1), delay: TimeSpan.FromSeconds(3));

        FailAt(strategy, TimeSpan.Zero);
        Assert.True(strategy.CanRestart);
        Assert.Equal(TimeSpan.FromSeconds(3), strategy.BackoffTime);

        FailAt(strategy, TimeSpan.FromSeconds(10));
        Assert.True(strategy.CanRestart);
        Assert.Null(strategy.GiveUpReason);
    }

    [Fact]
    public void More_failures_than_allowed_within_the_interval_fail_the_job()
    {
        var strategy = Strategy(maxFailuresPerInterval: 2, interval: TimeSpan.FromMinutes(1));

        FailAt(strategy, TimeSpan.Zero);
        FailAt(strategy, TimeSpan.FromSeconds(10));
        FailAt(strategy, TimeSpan.FromSeconds(20));

        Assert.False(strategy.CanRestart);
        Assert.Equal(
            "the failure-rate restart strategy saw 3 failures within 20s, more than the 2 allowed per 1min",
            strategy.GiveUpReason);
    }

    [Fact]
    public void The_window_slides_so_old_failures_stop_counting()
    {
        var strategy = Strategy(maxFailuresPerInterval: 2, interval: TimeSpan.FromMinutes(1));

        FailAt(strategy, TimeSpan.Zero);
        FailAt(strategy, TimeSpan.FromSeconds(30));
        FailAt(strategy, TimeSpan.FromSeconds(61));
        Assert.True(strategy.CanRestart); // 0s, 30s, 61s: three failures span more than a minute.

        FailAt(strategy, TimeSpan.FromSeconds(100));
        Assert.True(strategy.CanRestart); // 30s is out; 61s and 100s are two.

        FailAt(strategy, TimeSpan.FromSeconds(120));
        Assert.False(strategy.CanRestart); // 61s, 100s, 120s: three within a minute.
    }

    [Fact]
    public void Failures_exactly_one_interval_apart_are_within_it()
    {
        var strategy = Strategy(maxFailuresPerInterval: 1, interval: TimeSpan.FromMinutes(1));

        FailAt(strategy, TimeSpan.Zero);
        FailAt(strategy, TimeSpan.FromMinutes(1));

        Assert.False(strategy.CanRestart);
    }

    [Fact]
    public void The_decision_does_not_change_while_the_caller_waits_to_read_it()
    {
        var strategy = Strategy(maxFailuresPerInterval: 1, interval: TimeSpan.FromMinutes(1));
        FailAt(strategy, TimeSpan.Zero);
        FailAt(strategy, TimeSpan.FromSeconds(5));

        _time.Advance(TimeSpan.FromHours(1));

        Assert.False(strategy.CanRestart);
    }

    [Fact]
    public void Invalid_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Strategy(maxFailuresPerInterval: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Strategy(interval: TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => Strategy(delay: TimeSpan.FromSeconds(-1)));
    }

    private readonly DateTimeOffset _start;

    public FailureRateRestartBackoffTimeStrategyTests() => _start = _time.GetUtcNow();

    private void FailAt(IRestartBackoffTimeStrategy strategy, TimeSpan sinceStart)
    {
        _time.Advance(_start + sinceStart - _time.GetUtcNow());
        strategy.NotifyFailure(Failure);
    }

    private FailureRateRestartBackoffTimeStrategy Strategy(int maxFailuresPerInterval = 1, TimeSpan? interval = null, TimeSpan? delay = null) =>
        new(maxFailuresPerInterval, interval ?? TimeSpan.FromMinutes(1), delay ?? TimeSpan.FromSeconds(1), _time);
}
