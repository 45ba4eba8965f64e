using Weir.Checkpointing.Restart;

namespace Weir.Checkpointing.Tests.Restart;

public sealed class FixedDelayRestartBackoffTimeStrategyTests
{
    private static readonly Exception Failure = new InvalidOperationException("task failed");

    [Fact]
    public void Allows_exactly_the_configured_number_of_restarts_each_after_the_delay()
    {
        var strategy = new FixedDelayRestartBackoffTimeStrategy(maxAttempts: 3, TimeSpan.FromSeconds(2));

        for (var failure = 1; failure <= 3; failure++)
        {
            strategy.NotifyFailure(Failure);
            Assert.True(strategy.CanRestart, $"failure {failure} of 3 allowed");
            Assert.Equal(TimeSpan.FromSeconds(2), strategy.BackoffTime);
            Assert.Null(strategy.GiveUpReason);
        }

        strategy.NotifyFailure(Failure);

        Assert.False(strategy.CanRestart);
        Assert.Equal("the fixed-delay restart strategy exhausted its 3 attempts", strategy.GiveUpReason);
    }

    [Fact]
    public void Before_any_failure_it_can_restart()
    {
        var strategy = new FixedDelayRestartBackoffTimeStrategy(maxAttempts: 0, TimeSpan.Zero);

        Assert.True(strategy.CanRestart);
        Assert.Null(strategy.GiveUpReason);
    }

    [Fact]
    public void One_attempt_is_spelled_singular()
    {
        var strategy = new FixedDelayRestartBackoffTimeStrategy(maxAttempts: 1, TimeSpan.FromSeconds(1));

        strategy.NotifyFailure(Failure);
        strategy.NotifyFailure(Failure);

        Assert.Equal("the fixed-delay restart strategy exhausted its 1 attempt", strategy.GiveUpReason);
    }

    [Fact]
    public void Zero_attempts_fails_on_the_first_failure()
    {
        var strategy = new FixedDelayRestartBackoffTimeStrategy(maxAttempts: 0, TimeSpan.FromSeconds(1));

        strategy.NotifyFailure(Failure);

        Assert.False(strategy.CanRestart);
        Assert.Equal("the fixed-delay restart strategy allows no restarts (restart-strategy.fixed-delay.attempts is 0)", strategy.GiveUpReason);
    }

    [Fact]
    public void Invalid_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedDelayRestartBackoffTimeStrategy(-1, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedDelayRestartBackoffTimeStrategy(1, TimeSpan.FromSeconds(-1)));
    }
}
