using Weir.Checkpointing.Configuration;

namespace Weir.Checkpointing.Tests.Configuration;

public sealed class WeirOptionsValidationTests
{
    private const string Duration = "expected a duration such as 500ms, 30s or 10min";

    public static TheoryData<string, string, string> InvalidValues => new()
    {
        { "execution.checkpointing.interval", "soon", Duration },
        { "execution.checkpointing.interval", "-1s", Duration },
        { "execution.checkpointing.mode", "EXACTLY", "expected one of EXACTLY_ONCE, AT_LEAST_ONCE" },
        { "execution.checkpointing.mode", "", "expected one of EXACTLY_ONCE, AT_LEAST_ONCE" },
        { "execution.checkpointing.timeout", "0", "expected a duration greater than 0" },
        { "execution.checkpointing.timeout", "forever", Duration },
        { "execution.checkpointing.min-pause", "a bit", Duration },
        { "execution.checkpointing.max-concurrent-checkpoints", "0", "expected an integer of at least 1" },
        { "execution.checkpointing.max-concurrent-checkpoints", "two", "expected an integer of at least 1" },
        { "execution.checkpointing.max-concurrent-checkpoints", "1.0", "expected an integer of at least 1" },
        { "execution.checkpointing.tolerable-failed-checkpoints", "-1", "expected an integer of at least 0" },
        { "execution.checkpointing.externalized-checkpoint-retention", "KEEP", "expected one of NO_EXTERNALIZED_CHECKPOINTS, RETAIN_ON_CANCELLATION, DELETE_ON_CANCELLATION" },
        { "execution.checkpointing.num-retained", "0", "expected an integer of at least 1" },
        { "execution.checkpointing.dir", "", "expected a directory path, a file:// URI or an http(s) URL" },
        { "execution.checkpointing.dir", "s3://bucket/checkpoints", "expected a directory path, a file:// URI or an http(s) URL" },
        { "execution.checkpointing.dir", "abfss://container@account.dfs.core.windows.net/chk", "expected a directory path, a file:// URI or an http(s) URL" },
        { "execution.checkpointing.incremental", "yes", "expected true or false" },
        { "execution.checkpointing.unaligned.enabled", "1", "expected true or false" },
        { "execution.checkpointing.aligned-checkpoint-timeout", "10 parsecs", Duration + "; 'parsecs' is not a unit (use ns, us, ms, s, min, h or d)" },
        { "execution.checkpointing.lease-acquire-timeout", "0s", "expected a duration greater than 0" },
        { "execution.checkpointing.lease-acquire-timeout", "a while", Duration },
        { "state.backend.type", "rocksdb", "only hashmap is available" },
        { "state.backend.type", "", "only hashmap is available" },
        { "state.changelog.periodic-materialize.interval", "0s", "expected a duration greater than 0" },
        { "state.changelog.max-delta-chain-length", "0", "expected an integer of at least 1" },
        { "state.backend.snapshot.write-threads", "0", "expected an integer from 1 to 64" },
        { "state.backend.snapshot.write-threads", "65", "expected an integer from 1 to 64" },
        { "state.backend.snapshot.write-threads", "many", "expected an integer from 1 to 64" },
        { "pipeline.max-parallelism", "0", "expected an integer from 1 to 32768" },
        { "pipeline.max-parallelism", "32769", "expected an integer from 1 to 32768" },
        { "parallelism.default", "0", "expected an integer of at least 1" },
        { "parallelism.default", "200", "expected an integer from 1 to pipeline.max-parallelism (128)" },
        { "pipeline.operator-chaining.enabled", "on", "expected true or false" },
        { "pipeline.auto-watermark-interval", "often", Duration },
        { "execution.buffer-timeout", "-1", Duration },
        { "restart-strategy.type", "sometimes", "expected one of none, fixed-delay, exponential-delay, failure-rate" },
        { "restart-strategy.fixed-delay.attempts", "-1", "expected an integer of at least 0" },
        { "restart-strategy.fixed-delay.delay", "later", Duration },
        { "restart-strategy.exponential-delay.initial-backoff", "0", "expected a duration greater than 0" },
        { "restart-strategy.exponential-delay.initial-backoff", "2min", "expected a duration no longer than restart-strategy.exponential-delay.max-backoff (1min)" },
        { "restart-strategy.exponential-delay.max-backoff", "500ms", "expected a duration of at least restart-strategy.exponential-delay.initial-backoff (1s)" },
        { "restart-strategy.exponential-delay.backoff-multiplier", "0.5", "expected a number of at least 1" },
        { "restart-strategy.exponential-delay.backoff-multiplier", "Infinity", "expected a number of at least 1" },
        { "restart-strategy.exponential-delay.reset-backoff-threshold", "0", "expected a duration greater than 0" },
        { "restart-strategy.exponential-delay.jitter-factor", "1.5", "expected a number from 0 to 1" },
        { "restart-strategy.exponential-delay.jitter-factor", "NaN", "expected a number from 0 to 1" },
        { "restart-strategy.exponential-delay.attempts-before-reset-backoff", "0", "expected an integer of at least 1" },
        { "restart-strategy.failure-rate.max-failures-per-interval", "0", "expected an integer of at least 1" },
        { "restart-strategy.failure-rate.failure-rate-interval", "0", "expected a duration greater than 0" },
        { "restart-strategy.failure-rate.delay", "x", Duration },
        { "execution.state-recovery.path", "ftp://host/savepoint", "expected a checkpoint or savepoint path, a file:// URI or an http(s) URL" },
        { "execution.state-recovery.claim-mode", "LEGACY", "expected one of NO_CLAIM, CLAIM" },
        { "azure.storage.managed-identity-client-id", "my-identity", "expected the client id of a user-assigned managed identity (a GUID)" },
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public void A_bad_value_is_reported_with_its_key_its_value_and_what_is_allowed(string key, string value, string allowed)
    {
        var error = Settings.Invalid((key, value));

        var expected = $"Weir:{key} = '{value}' is not valid: {allowed}.";
        Assert.Equal([expected], error.Failures);
        Assert.Equal($"Weir's configuration is not valid: {expected}", error.Message);
    }

    [Fact]
    public void All_bad_values_are_reported_at_once()
    {
        var error = Settings.Invalid(
            ("execution.checkpointing.interval", "soon"),
            ("execution.checkpointing.mode", "SOMETIMES"),
            ("pipeline.max-parallelism", "0"),
            ("restart-strategy.type", "retry"));

        Assert.Equal(
            [
                $"Weir:execution.checkpointing.interval = 'soon' is not valid: {Duration}.",
                "Weir:execution.checkpointing.mode = 'SOMETIMES' is not valid: expected one of EXACTLY_ONCE, AT_LEAST_ONCE.",
                "Weir:pipeline.max-parallelism = '0' is not valid: expected an integer from 1 to 32768.",
                "Weir:restart-strategy.type = 'retry' is not valid: expected one of none, fixed-delay, exponential-delay, failure-rate.",
            ],
            error.Failures);
        Assert.StartsWith("Weir's configuration is not valid (4 settings):", error.Message);
        Assert.All(error.Failures, failure => Assert.Contains(failure, error.Message));
    }

    [Fact]
    public void A_bad_connection_string_is_reported_without_its_value()
    {
        const string secret = "AccountName=weir;AccountKey=c2VjcmV0;broken";

        var error = Settings.Invalid(("azure.storage.connection-string", secret));

        Assert.Equal(
            ["Weir:azure.storage.connection-string = '***' is not valid: expected an Azure Storage connection string of name=value pairs separated by ';'."],
            error.Failures);
        Assert.DoesNotContain("c2VjcmV0", error.Message);
    }

    [Fact]
    public void The_query_of_a_url_in_an_error_is_hidden_because_it_may_hold_a_sas_token()
    {
        var error = Settings.Invalid(("restart-strategy.type", "https://account.blob.core.windows.net/c?sv=2024&sig=c2VjcmV0"));

        Assert.Equal(
            ["Weir:restart-strategy.type = 'https://account.blob.core.windows.net/c?***' is not valid: expected one of none, fixed-delay, exponential-delay, failure-rate."],
            error.Failures);
    }

    [Fact]
    public void When_max_parallelism_is_set_below_the_default_parallelism_it_is_blamed()
    {
        var error = Settings.Invalid(("pipeline.max-parallelism", "4"), ("parallelism.default", "8"));

        Assert.Equal(["Weir:parallelism.default = '8' is not valid: expected an integer from 1 to pipeline.max-parallelism (4)."], error.Failures);
    }

    [Fact]
    public void When_the_initial_backoff_exceeds_a_configured_maximum_the_initial_backoff_is_blamed()
    {
        var error = Settings.Invalid(
            ("restart-strategy.exponential-delay.initial-backoff", "10s"),
            ("restart-strategy.exponential-delay.max-backoff", "5s"));

        Assert.Equal(
            ["Weir:restart-strategy.exponential-delay.initial-backoff = '10s' is not valid: expected a duration no longer than restart-strategy.exponential-delay.max-backoff (5s)."],
            error.Failures);
    }

    [Theory]
    [InlineData("exactly_once", CheckpointingMode.ExactlyOnce)]
    [InlineData("At_Least_Once", CheckpointingMode.AtLeastOnce)]
    [InlineData(" AT_LEAST_ONCE ", CheckpointingMode.AtLeastOnce)]
    public void Enum_values_ignore_case(string value, CheckpointingMode mode) =>
        Assert.Equal(mode, Settings.Parse(("execution.checkpointing.mode", value)).Checkpointing.Mode);

    [Theory]
    [InlineData("none", RestartStrategyType.None)]
    [InlineData("off", RestartStrategyType.None)]
    [InlineData("DISABLE", RestartStrategyType.None)]
    [InlineData("fixed-delay", RestartStrategyType.FixedDelay)]
    [InlineData("fixeddelay", RestartStrategyType.FixedDelay)]
    [InlineData("exponential-delay", RestartStrategyType.ExponentialDelay)]
    [InlineData("ExponentialDelay", RestartStrategyType.ExponentialDelay)]
    [InlineData("failure-rate", RestartStrategyType.FailureRate)]
    [InlineData("failurerate", RestartStrategyType.FailureRate)]
    public void Restart_strategy_types_accept_Flinks_aliases(string value, RestartStrategyType type) =>
        Assert.Equal(type, Settings.Parse(("restart-strategy.type", value)).RestartStrategy.Type);

    [Fact]
    public void The_exception_needs_at_least_one_failure() =>
        Assert.Throws<ArgumentException>(() => new WeirConfigurationException([]));
}
