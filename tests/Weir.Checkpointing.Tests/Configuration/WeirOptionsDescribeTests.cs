using Weir.Checkpointing.Configuration;

namespace Weir.Checkpointing.Tests.Configuration;

public sealed class WeirOptionsDescribeTests
{
    [Fact]
    public void Describe_lists_the_effective_settings_under_Flink_keys_with_Flink_values()
    {
        var options = Settings.Parse(
            ("execution.checkpointing.interval", "30000"),
            ("execution.checkpointing.mode", "at_least_once"),
            ("restart-strategy.type", "fixed-delay"),
            ("restart-strategy.fixed-delay.attempts", "3"));

        Assert.Equal(
            [
                new("execution.checkpointing.interval", "30s"),
                new("execution.checkpointing.mode", "AT_LEAST_ONCE"),
                new("execution.checkpointing.timeout", "10min"),
                new("execution.checkpointing.min-pause", "0ms"),
                new("execution.checkpointing.max-concurrent-checkpoints", "1"),
                new("execution.checkpointing.tolerable-failed-checkpoints", "0"),
                new("execution.checkpointing.externalized-checkpoint-retention", "NO_EXTERNALIZED_CHECKPOINTS"),
                new("execution.checkpointing.num-retained", "1"),
                new("execution.checkpointing.dir", "./data/checkpoints"),
                new("execution.checkpointing.incremental", "false"),
                new("execution.checkpointing.unaligned.enabled", "false"),
                new("execution.checkpointing.aligned-checkpoint-timeout", "0ms"),
                new("execution.checkpointing.lease-acquire-timeout", "1min"),
                new("state.backend.type", "hashmap"),
                new("state.changelog.periodic-materialize.interval", "10min"),
                new("state.changelog.max-delta-chain-length", "8"),
                new("state.backend.snapshot.write-threads", "4"),
                new("pipeline.max-parallelism", "128"),
                new("parallelism.default", "1"),
                new("pipeline.operator-chaining.enabled", "true"),
                new("pipeline.auto-watermark-interval", "200ms"),
                new("execution.buffer-timeout", "100ms"),
                new("restart-strategy.type", "fixed-delay"),
                new("restart-strategy.fixed-delay.attempts", "3"),
                new("restart-strategy.fixed-delay.delay", "1s"),
                new("execution.state-recovery.path", "(none)"),
                new("execution.state-recovery.claim-mode", "NO_CLAIM"),
                new("azure.storage.connection-string", "(none)"),
                new("azure.storage.managed-identity-client-id", "(none)"),
            ],
            options.Describe());
    }

    [Fact]
    public void Describe_lists_only_the_parameters_of_the_effective_restart_strategy()
    {
        var exponential = Settings.Parse(("execution.checkpointing.interval", "1s")).Describe();

        Assert.Contains(new("restart-strategy.type", "exponential-delay"), exponential);
        Assert.Contains(new("restart-strategy.exponential-delay.initial-backoff", "1s"), exponential);
        Assert.Contains(new("restart-strategy.exponential-delay.max-backoff", "1min"), exponential);
        Assert.Contains(new("restart-strategy.exponential-delay.backoff-multiplier", "1.5"), exponential);
        Assert.Contains(new("restart-strategy.exponential-delay.reset-backoff-threshold", "1h"), exponential);
        Assert.Contains(new("restart-strategy.exponential-delay.jitter-factor", "0.1"), exponential);
        Assert.Contains(new("restart-strategy.exponential-delay.attempts-before-reset-backoff", "2147483647"), exponential);
        Assert.DoesNotContain(exponential, s => s.Key.StartsWith("restart-strategy.fixed-delay", StringComparison.Ordinal));
        Assert.DoesNotContain(exponential, s => s.Key.StartsWith("restart-strategy.failure-rate", StringComparison.Ordinal));

        var none = Settings.Parse().Describe();
        Assert.Single(none, s => s.Key.StartsWith("restart-strategy.", StringComparison.Ordinal));
    }

    [Fact]
    public void Describe_shows_a_secret_as_stars()
    {
        const string secret = "DefaultEndpointsProtocol=https;AccountName=weir;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net";

        var options = Settings.Parse(("azure.storage.connection-string", secret));

        Assert.Equal(secret, options.AzureStorage.ConnectionString);
        Assert.Contains(new("azure.storage.connection-string", "***"), options.Describe());
        Assert.DoesNotContain(options.Describe(), s => s.Value.Contains("c2VjcmV0", StringComparison.Ordinal));
        Assert.DoesNotContain("c2VjcmV0", options.AzureStorage.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_hides_the_query_of_a_checkpoint_url()
    {
        var options = Settings.Parse(("execution.checkpointing.dir", "https://weir.blob.core.windows.net/checkpoints?sv=2024-05-04&sig=c2VjcmV0"));

        Assert.Contains(new("execution.checkpointing.dir", "https://weir.blob.core.windows.net/checkpoints?***"), options.Describe());
    }

    [Fact]
    public void Described_values_parse_back_to_the_same_options()
    {
        var options = Settings.Parse(
            ("execution.checkpointing.interval", "00:01:30"),
            ("execution.checkpointing.timeout", "90000"),
            ("restart-strategy.type", "exponential-delay"),
            ("restart-strategy.exponential-delay.jitter-factor", "0.25"));

        var described = options.Describe().Where(s => s.Value != "(none)").Select(s => (s.Key, s.Value)).ToArray();

        Assert.Equal(options.Describe(), Settings.Parse(described).Describe());
    }
}
