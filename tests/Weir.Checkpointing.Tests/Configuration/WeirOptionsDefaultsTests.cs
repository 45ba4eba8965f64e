using Microsoft.Extensions.Configuration;
using Weir.Checkpointing.Configuration;

namespace Weir.Checkpointing.Tests.Configuration;

public sealed class WeirOptionsDefaultsTests
{
    [Fact]
    public void An_empty_section_gives_Flinks_checkpointing_defaults()
    {
        var checkpointing = Settings.Parse().Checkpointing;

        Assert.Null(checkpointing.Interval);
        Assert.False(checkpointing.IsEnabled);
        Assert.Equal(CheckpointingMode.ExactlyOnce, checkpointing.Mode);
        Assert.Equal(TimeSpan.FromMinutes(10), checkpointing.Timeout);
        Assert.Equal(TimeSpan.Zero, checkpointing.MinPause);
        Assert.Equal(1, checkpointing.MaxConcurrentCheckpoints);
        Assert.Equal(0, checkpointing.TolerableFailedCheckpoints);
        Assert.Equal(ExternalizedCheckpointRetention.NoExternalizedCheckpoints, checkpointing.ExternalizedRetention);
        Assert.Equal(1, checkpointing.NumRetained);
        Assert.Equal("./data/checkpoints", checkpointing.Directory);
        Assert.False(checkpointing.Incremental);
        Assert.False(checkpointing.UnalignedEnabled);
        Assert.Equal(TimeSpan.Zero, checkpointing.AlignedCheckpointTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), checkpointing.LeaseAcquireTimeout);
    }

    [Fact]
    public void An_empty_section_gives_the_state_defaults()
    {
        var state = Settings.Parse().State;

        Assert.Equal("hashmap", state.BackendType);
        Assert.Equal(TimeSpan.FromMinutes(10), state.PeriodicMaterializeInterval);
        Assert.Equal(8, state.MaxDeltaChainLength);
        Assert.Equal(4, state.SnapshotWriteThreads);
    }

    [Fact]
    public void An_empty_section_gives_the_pipeline_defaults()
    {
        var pipeline = Settings.Parse().Pipeline;

        Assert.Equal(128, pipeline.MaxParallelism);
        Assert.Equal(1, pipeline.DefaultParallelism);
        Assert.True(pipeline.OperatorChaining);
        Assert.Equal(TimeSpan.FromMilliseconds(200), pipeline.AutoWatermarkInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(100), pipeline.BufferTimeout);
    }

    [Fact]
    public void An_empty_section_gives_Flinks_restart_strategy_parameters()
    {
        var restart = Settings.Parse().RestartStrategy;

        Assert.Equal(RestartStrategyType.None, restart.Type);
        Assert.Equal(1, restart.FixedDelayAttempts);
        Assert.Equal(TimeSpan.FromSeconds(1), restart.FixedDelay);
        Assert.Equal(TimeSpan.FromSeconds(1), restart.InitialBackoff);
        Assert.Equal(TimeSpan.FromMinutes(1), restart.MaxBackoff);
        Assert.Equal(1.5, restart.BackoffMultiplier);
        Assert.Equal(TimeSpan.FromHours(1), restart.ResetBackoffThreshold);
        Assert.Equal(0.1, restart.JitterFactor);
        Assert.Equal(int.MaxValue, restart.AttemptsBeforeResetBackoff);
        Assert.Equal(1, restart.MaxFailuresPerInterval);
        Assert.Equal(TimeSpan.FromMinutes(1), restart.FailureRateInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), restart.FailureRateDelay);
    }

    [Fact]
    public void An_empty_section_gives_no_recovery_path_and_no_azure_credentials()
    {
        var options = Settings.Parse();

        Assert.Null(options.StateRecovery.Path);
        Assert.Equal(RecoveryClaimMode.NoClaim, options.StateRecovery.ClaimMode);
        Assert.Null(options.AzureStorage.ConnectionString);
        Assert.Null(options.AzureStorage.ManagedIdentityClientId);
        Assert.Empty(options.UnknownKeys);
    }

    [Fact]
    public void Default_describes_the_same_settings_as_an_empty_section() =>
        Assert.Equal(Settings.Parse().Describe(), WeirOptions.Default.Describe());

    [Fact]
    public void Options_built_in_code_start_from_the_same_defaults() =>
        Assert.Equal(WeirOptions.Default.Describe(), new WeirOptions().Describe());

    [Fact]
    public void Every_key_is_read_with_a_valid_value()
    {
        var options = Settings.Parse(
            ("execution.checkpointing.interval", "30s"),
            ("execution.checkpointing.mode", "at_least_once"),
            ("execution.checkpointing.timeout", "2min"),
            ("execution.checkpointing.min-pause", "500ms"),
            ("execution.checkpointing.max-concurrent-checkpoints", "3"),
            ("execution.checkpointing.tolerable-failed-checkpoints", "2"),
            ("execution.checkpointing.externalized-checkpoint-retention", "Retain_On_Cancellation"),
            ("execution.checkpointing.num-retained", "5"),
            ("execution.checkpointing.dir", "https://account.blob.core.windows.net/checkpoints"),
            ("execution.checkpointing.incremental", "true"),
            ("execution.checkpointing.unaligned.enabled", "True"),
            ("execution.checkpointing.aligned-checkpoint-timeout", "5s"),
            ("execution.checkpointing.lease-acquire-timeout", "90s"),
            ("state.backend.type", "HashMap"),
            ("state.changelog.periodic-materialize.interval", "1h"),
            ("state.changelog.max-delta-chain-length", "4"),
            ("state.backend.snapshot.write-threads", "2"),
            ("pipeline.max-parallelism", "32768"),
            ("parallelism.default", "4"),
            ("pipeline.operator-chaining.enabled", "false"),
            ("pipeline.auto-watermark-interval", "0"),
            ("execution.buffer-timeout", "0ms"),
            ("restart-strategy.type", "failure-rate"),
            ("restart-strategy.fixed-delay.attempts", "0"),
            ("restart-strategy.fixed-delay.delay", "0s"),
            ("restart-strategy.exponential-delay.initial-backoff", "2s"),
            ("restart-strategy.exponential-delay.max-backoff", "2s"),
            ("restart-strategy.exponential-delay.backoff-multiplier", "1"),
            ("restart-strategy.exponential-delay.reset-backoff-threshold", "30min"),
            ("restart-strategy.exponential-delay.jitter-factor", "0"),
            ("restart-strategy.exponential-delay.attempts-before-reset-backoff", "7"),
            ("restart-strategy.failure-rate.max-failures-per-interval", "3"),
            ("restart-strategy.failure-rate.failure-rate-interval", "5min"),
            ("restart-strategy.failure-rate.delay", "10s"),
            ("execution.state-recovery.path", "file:///data/savepoints/savepoint-1"),
            ("execution.state-recovery.claim-mode", "claim"),
            ("azure.storage.connection-string", "UseDevelopmentStorage=true"),
            ("azure.storage.managed-identity-client-id", "8c1f3c6e-54a5-4b8b-9a56-1d2d3e4f5a6b"));

        Assert.Equal(TimeSpan.FromSeconds(30), options.Checkpointing.Interval);
        Assert.Equal(CheckpointingMode.AtLeastOnce, options.Checkpointing.Mode);
        Assert.Equal(TimeSpan.FromMinutes(2), options.Checkpointing.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.Checkpointing.MinPause);
        Assert.Equal(3, options.Checkpointing.MaxConcurrentCheckpoints);
        Assert.Equal(2, options.Checkpointing.TolerableFailedCheckpoints);
        Assert.Equal(ExternalizedCheckpointRetention.RetainOnCancellation, options.Checkpointing.ExternalizedRetention);
        Assert.Equal(5, options.Checkpointing.NumRetained);
        Assert.Equal("https://account.blob.core.windows.net/checkpoints", options.Checkpointing.Directory);
        Assert.True(options.Checkpointing.Incremental);
        Assert.True(options.Checkpointing.UnalignedEnabled);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Checkpointing.AlignedCheckpointTimeout);
        Assert.Equal(TimeSpan.FromSeconds(90), options.Checkpointing.LeaseAcquireTimeout);
        Assert.Equal("hashmap", options.State.BackendType);
        Assert.Equal(TimeSpan.FromHours(1), options.State.PeriodicMaterializeInterval);
        Assert.Equal(4, options.State.MaxDeltaChainLength);
        Assert.Equal(2, options.State.SnapshotWriteThreads);
        Assert.Equal(32768, options.Pipeline.MaxParallelism);
        Assert.Equal(4, options.Pipeline.DefaultParallelism);
        Assert.False(options.Pipeline.OperatorChaining);
        Assert.Equal(TimeSpan.Zero, options.Pipeline.AutoWatermarkInterval);
        Assert.Equal(TimeSpan.Zero, options.Pipeline.BufferTimeout);
        Assert.Equal(RestartStrategyType.FailureRate, options.RestartStrategy.Type);
        Assert.Equal(0, options.RestartStrategy.FixedDelayAttempts);
        Assert.Equal(TimeSpan.Zero, options.RestartStrategy.FixedDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), options.RestartStrategy.InitialBackoff);
        Assert.Equal(TimeSpan.FromSeconds(2), options.RestartStrategy.MaxBackoff);
        Assert.Equal(1.0, options.RestartStrategy.BackoffMultiplier);
        Assert.Equal(TimeSpan.FromMinutes(30), options.RestartStrategy.ResetBackoffThreshold);
        Assert.Equal(0.0, options.RestartStrategy.JitterFactor);
        Assert.Equal(7, options.RestartStrategy.AttemptsBeforeResetBackoff);
        Assert.Equal(3, options.RestartStrategy.MaxFailuresPerInterval);
        Assert.Equal(TimeSpan.FromMinutes(5), options.RestartStrategy.FailureRateInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.RestartStrategy.FailureRateDelay);
        Assert.Equal("file:///data/savepoints/savepoint-1", options.StateRecovery.Path);
        Assert.Equal(RecoveryClaimMode.Claim, options.StateRecovery.ClaimMode);
        Assert.Equal("UseDevelopmentStorage=true", options.AzureStorage.ConnectionString);
        Assert.Equal("8c1f3c6e-54a5-4b8b-9a56-1d2d3e4f5a6b", options.AzureStorage.ManagedIdentityClientId);
        Assert.Empty(options.UnknownKeys);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("0")]
    [InlineData("0ms")]
    [InlineData("00:00:00")]
    public void An_empty_or_zero_interval_disables_checkpointing(string interval) =>
        Assert.Null(Settings.Parse(("execution.checkpointing.interval", interval)).Checkpointing.Interval);

    [Theory]
    [InlineData("./data/checkpoints")]
    [InlineData("/var/lib/weir/checkpoints")]
    [InlineData(@"C:\weir\checkpoints")]
    [InlineData("file:///var/lib/weir/checkpoints")]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/checkpoints")]
    [InlineData("https://account.blob.core.windows.net/checkpoints")]
    public void The_checkpoint_directory_is_a_path_a_file_uri_or_an_http_url(string directory) =>
        Assert.Equal(directory, Settings.Parse(("execution.checkpointing.dir", directory)).Checkpointing.Directory);

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_optional_value_leaves_it_unset(string value)
    {
        var options = Settings.Parse(
            ("execution.state-recovery.path", value),
            ("azure.storage.connection-string", value),
            ("azure.storage.managed-identity-client-id", value));

        Assert.Null(options.StateRecovery.Path);
        Assert.Null(options.AzureStorage.ConnectionString);
        Assert.Null(options.AzureStorage.ManagedIdentityClientId);
    }

    [Fact]
    public void The_repository_appsettings_section_parses()
    {
        // The "Weir" section of the repository's appsettings.json, numbers included as JSON numbers.
        const string json = """
            {
              "Weir": {
                "execution.checkpointing.interval": "1s",
                "execution.checkpointing.mode": "EXACTLY_ONCE",
                "execution.checkpointing.dir": "./data/checkpoints",
                "execution.checkpointing.num-retained": 1,
                "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
                "state.backend.type": "hashmap",
                "pipeline.max-parallelism": 128
              }
            }
            """;
        var root = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)))
            .Build();

        var options = WeirOptions.Parse(root, "Weir");

        Assert.Equal(TimeSpan.FromSeconds(1), options.Checkpointing.Interval);
        Assert.Equal(ExternalizedCheckpointRetention.RetainOnCancellation, options.Checkpointing.ExternalizedRetention);
        Assert.Equal(RestartStrategyType.ExponentialDelay, options.RestartStrategy.Type);
    }
}
