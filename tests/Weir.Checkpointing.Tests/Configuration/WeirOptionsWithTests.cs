using Weir.Checkpointing.Configuration;

namespace Weir.Checkpointing.Tests.Configuration;

public sealed class WeirOptionsWithTests
{
    [Fact]
    public void With_overrides_keys_and_keeps_the_rest()
    {
        var options = Settings.Parse(("execution.checkpointing.interval", "1s"), ("pipeline.max-parallelism", "64"));

        var changed = options.With(("execution.checkpointing.interval", "5s"), ("execution:state-recovery:path", "/savepoints/sp-1"));

        Assert.Equal(TimeSpan.FromSeconds(5), changed.Checkpointing.Interval);
        Assert.Equal("/savepoints/sp-1", changed.StateRecovery.Path);
        Assert.Equal(64, changed.Pipeline.MaxParallelism);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Checkpointing.Interval);
    }

    [Fact]
    public void With_reapplies_defaults_that_depend_on_other_keys()
    {
        var options = Settings.Parse(("execution.checkpointing.interval", "1s"));

        var disabled = options.With(("execution.checkpointing.interval", "0"));

        Assert.Equal(RestartStrategyType.ExponentialDelay, options.RestartStrategy.Type);
        Assert.Equal(RestartStrategyType.None, disabled.RestartStrategy.Type);
    }

    [Fact]
    public void With_validates_the_new_values()
    {
        var error = Assert.Throws<WeirConfigurationException>(() => WeirOptions.Default.With(("execution.checkpointing.num-retained", "0")));

        Assert.Equal(["Weir:execution.checkpointing.num-retained = '0' is not valid: expected an integer of at least 1."], error.Failures);
    }

    [Fact]
    public void With_rejects_a_key_Weir_does_not_read()
    {
        var error = Assert.Throws<ArgumentException>(() => WeirOptions.Default.With(("execution.checkpointing.intervall", "1s")));

        Assert.Contains("'execution.checkpointing.intervall' is not a key Weir reads.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void With_keeps_the_values_of_options_built_in_code()
    {
        var options = new WeirOptions
        {
            Checkpointing = new CheckpointingOptions { Interval = TimeSpan.FromMilliseconds(50), NumRetained = 3 },
            AzureStorage = new AzureStorageOptions { ConnectionString = "UseDevelopmentStorage=true" },
        };

        var changed = options.With(("execution.checkpointing.mode", "AT_LEAST_ONCE"));

        Assert.Equal(TimeSpan.FromMilliseconds(50), changed.Checkpointing.Interval);
        Assert.Equal(3, changed.Checkpointing.NumRetained);
        Assert.Equal(CheckpointingMode.AtLeastOnce, changed.Checkpointing.Mode);
        Assert.Equal("UseDevelopmentStorage=true", changed.AzureStorage.ConnectionString);
    }

    [Fact]
    public void With_keeps_reporting_unknown_keys()
    {
        var options = Settings.Parse(("state.checkpoints.dir", "/old"));

        Assert.Equal(["state.checkpoints.dir"], options.With(("parallelism.default", "2")).UnknownKeys);
    }
}
