namespace Weir.Checkpointing.Configuration;

/// <summary>
/// The keys Weir reads from its configuration section: Flink's names wherever Flink has one, so
/// a Flink user's settings carry over. Keys are case-insensitive, as in .NET configuration.
/// </summary>
internal static class ConfigurationKeys
{
    public const string CheckpointingInterval = "execution.checkpointing.interval";
    public const string CheckpointingMode = "execution.checkpointing.mode";
    public const string CheckpointingTimeout = "execution.checkpointing.timeout";
    public const string CheckpointingMinPause = "execution.checkpointing.min-pause";
    public const string MaxConcurrentCheckpoints = "execution.checkpointing.max-concurrent-checkpoints";
    public const string TolerableFailedCheckpoints = "execution.checkpointing.tolerable-failed-checkpoints";
    public const string ExternalizedCheckpointRetention = "execution.checkpointing.externalized-checkpoint-retention";
    public const string NumRetained = "execution.checkpointing.num-retained";
    public const string CheckpointsDirectory = "execution.checkpointing.dir";
    public const string Incremental = "execution.checkpointing.incremental";
    public const string UnalignedEnabled = "execution.checkpointing.unaligned.enabled";
    public const string AlignedCheckpointTimeout = "execution.checkpointing.aligned-checkpoint-timeout";

    /// <summary>Weir's own key: Flink's coordinator is fenced by its high-availability services, not by a storage lease.</summary>
    public const string LeaseAcquireTimeout = "execution.checkpointing.lease-acquire-timeout";

    public const string StateBackendType = "state.backend.type";
    public const string PeriodicMaterializeInterval = "state.changelog.periodic-materialize.interval";

    /// <summary>Weir's own key: Flink has no delta chain to bound.</summary>
    public const string MaxDeltaChainLength = "state.changelog.max-delta-chain-length";

    /// <summary>Weir's own key: Flink's heap backend writes a snapshot as one stream (its RocksDB backend has <c>state.backend.rocksdb.checkpoint.transfer.thread.num</c>).</summary>
    public const string SnapshotWriteThreads = "state.backend.snapshot.write-threads";

    public const string MaxParallelism = "pipeline.max-parallelism";
    public const string DefaultParallelism = "parallelism.default";
    public const string OperatorChaining = "pipeline.operator-chaining.enabled";
    public const string AutoWatermarkInterval = "pipeline.auto-watermark-interval";
    public const string BufferTimeout = "execution.buffer-timeout";

    public const string RestartStrategyType = "restart-strategy.type";
    public const string FixedDelayAttempts = "restart-strategy.fixed-delay.attempts";
    public const string FixedDelayDelay = "restart-strategy.fixed-delay.delay";
    public const string ExponentialInitialBackoff = "restart-strategy.exponential-delay.initial-backoff";
    public const string ExponentialMaxBackoff = "restart-strategy.exponential-delay.max-backoff";
    public const string ExponentialBackoffMultiplier = "restart-strategy.exponential-delay.backoff-multiplier";
    public const string ExponentialResetBackoffThreshold = "restart-strategy.exponential-delay.reset-backoff-threshold";
    public const string ExponentialJitterFactor = "restart-strategy.exponential-delay.jitter-factor";
    public const string ExponentialAttemptsBeforeResetBackoff = "restart-strategy.exponential-delay.attempts-before-reset-backoff";
    public const string FailureRateMaxFailuresPerInterval = "restart-strategy.failure-rate.max-failures-per-interval";
    public const string FailureRateInterval = "restart-strategy.failure-rate.failure-rate-interval";
    public const string FailureRateDelay = "restart-strategy.failure-rate.delay";

    public const string StateRecoveryPath = "execution.state-recovery.path";
    public const string StateRecoveryClaimMode = "execution.state-recovery.claim-mode";

    /// <summary>A secret: its value never appears in messages or logs.</summary>
    public const string AzureConnectionString = "azure.storage.connection-string";
    public const string AzureManagedIdentityClientId = "azure.storage.managed-identity-client-id";

    /// <summary>Shown instead of a secret value.</summary>
    public const string Masked = "***";

    private static readonly HashSet<string> Secrets = new(StringComparer.OrdinalIgnoreCase) { AzureConnectionString };

    public static bool IsSecret(string key) => Secrets.Contains(key);

    /// <summary>
    /// A value as it may be shown in an error or a log: secrets as '***', and the query of an
    /// http(s) URL (where a SAS token would sit) as '?***'.
    /// </summary>
    public static string Display(string key, string value)
    {
        if (IsSecret(key))
        {
            return Masked;
        }

        var query = value.IndexOf('?', StringComparison.Ordinal);
        var isHttp = value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        return isHttp && query >= 0 && query < value.Length - 1 ? value[..(query + 1)] + Masked : value;
    }
}
