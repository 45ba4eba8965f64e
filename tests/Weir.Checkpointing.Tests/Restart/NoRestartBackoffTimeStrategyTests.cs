using Weir.Checkpointing.Restart;

namespace Weir.Checkpointing.Tests.Restart;

public sealed class NoRestartBackoffTimeStrategyTests
{
    [Fact]
    public void Never_restarts_and_says_why()
    {
        var strategy = new NoRestartBackoffTimeStrategy();

        strategy.NotifyFailure(new InvalidOperationException("boom"));

        Assert.False(strategy.CanRestart);
        Assert.Equal(TimeSpan.Zero, strategy.BackoffTime);
        Assert.Equal(
            "the restart strategy is none, so a failed job is not restarted (none is the default when checkpointing is disabled)",
            strategy.GiveUpReason);
    }
}
