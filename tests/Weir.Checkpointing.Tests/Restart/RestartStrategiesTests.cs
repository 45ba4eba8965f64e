using Weir.Checkpointing.Configuration;
using Weir.Checkpointing.Restart;
using Weir.Checkpointing.Tests.Configuration;

namespace Weir.Checkpointing.Tests.Restart;

public sealed class RestartStrategiesTests
{
    private readonly ManualTimeProvider _time = new();

    [Theory]
    [InlineData("none", typeof(NoRestartBackoffTimeStrategy))]
    [InlineData("fixed-delay", typeof(FixedDelayRestartBackoffTimeStrategy))]
    [InlineData("exponential-delay", typeof(ExponentialDelayRestartBackoffTimeStrategy))]
    [InlineData("failure-rate", typeof(FailureRateRestartBackoffTimeStrategy))]
    public void Creates_the_configured_strategy(string type, Type expected)
    {
        var options = Settings.Parse(("restart-strategy.type", type)).RestartStrategy;

        Assert.IsType(expected, RestartStrategies.Create(options, _time, new Random(0)));
    }

    [Fact]
    public void A_checkpointing_job_without_a_type_gets_Flinks_exponential_delay()
    {
        var options = Settings.Parse(("execution.checkpointing.interval", "1s")).RestartStrategy;

        var strategy = RestartStrategies.Create(options, _time, new Random(0));

        Assert.Equal(
            "exponential-delay(initial-backoff=1s, max-backoff=1min, backoff-multiplier=1.5, reset-backoff-threshold=1h, jitter-factor=0.1, attempts-before-reset-backoff=2147483647)",
            strategy.ToString());
        strategy.NotifyFailure(new InvalidOperationException());
        Assert.True(strategy.CanRestart);
        Assert.InRange(strategy.BackoffTime, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.1));
    }

    [Fact]
    public void Configured_parameters_reach_the_strategy()
    {
        var options = Settings.Parse(
            ("restart-strategy.type", "fixed-delay"),
            ("restart-strategy.fixed-delay.attempts", "2"),
            ("restart-strategy.fixed-delay.delay", "7s")).RestartStrategy;

        var strategy = RestartStrategies.Create(options, _time, new Random(0));
        strategy.NotifyFailure(new InvalidOperationException());
        strategy.NotifyFailure(new InvalidOperationException());
        Assert.True(strategy.CanRestart);
        Assert.Equal(TimeSpan.FromSeconds(7), strategy.BackoffTime);
        strategy.NotifyFailure(new InvalidOperationException());

        Assert.Equal("the fixed-delay restart strategy exhausted its 2 attempts", strategy.GiveUpReason);
    }

    [Fact]
    public void Options_built_in_code_with_a_value_parsing_rejects_are_refused()
    {
        var options = new RestartStrategyOptions { Type = RestartStrategyType.FixedDelay, FixedDelayAttempts = -1 };

        Assert.Throws<ArgumentOutOfRangeException>(() => RestartStrategies.Create(options, _time, new Random(0)));
    }
}
