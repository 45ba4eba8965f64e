using Weir.Checkpointing.Configuration;

namespace Weir.Checkpointing.Tests.Configuration;

public sealed class RestartStrategyDefaultTests
{
    [Fact]
    public void Without_a_type_a_checkpointing_job_restarts_with_exponential_delay() =>
        Assert.Equal(
            RestartStrategyType.ExponentialDelay,
            Settings.Parse(("execution.checkpointing.interval", "10s")).RestartStrategy.Type);

    [Theory]
    [InlineData(null)]
    [InlineData("0")]
    [InlineData("")]
    public void Without_a_type_a_job_without_checkpointing_does_not_restart(string? interval)
    {
        var settings = interval is null ? [] : new[] { ("execution.checkpointing.interval", interval) };

        Assert.Equal(RestartStrategyType.None, Settings.Parse(settings).RestartStrategy.Type);
    }

    [Fact]
    public void A_configured_type_holds_whether_or_not_checkpointing_is_enabled()
    {
        Assert.Equal(RestartStrategyType.FixedDelay, Settings.Parse(("restart-strategy.type", "fixed-delay")).RestartStrategy.Type);
        Assert.Equal(
            RestartStrategyType.None,
            Settings.Parse(("execution.checkpointing.interval", "1s"), ("restart-strategy.type", "none")).RestartStrategy.Type);
    }
}
