using Weir.Checkpointing.Configuration.Parsing;
using K = Weir.Checkpointing.Configuration.ConfigurationKeys;

namespace Weir.Checkpointing.Configuration;

/// <summary>
/// How a failed job restarts: <c>restart-strategy.type</c> and the parameters of each strategy.
/// As in Flink, when the type is not set a job with checkpointing enabled restarts with
/// exponential delay and a job without it does not restart. Every parameter is validated, also
/// those of strategies not chosen. Immutable; built by
/// <see cref="WeirOptions.Parse(Microsoft.Extensions.Configuration.IConfiguration)"/>.
/// </summary>
public sealed class RestartStrategyOptions
{
    internal static readonly FlinkChoice<RestartStrategyType> Types = new(
        (RestartStrategyType.None, "none", ["off", "disable"]),
        (RestartStrategyType.FixedDelay, "fixed-delay", ["fixeddelay"]),
        (RestartStrategyType.ExponentialDelay, "exponential-delay", ["exponentialdelay"]),
        (RestartStrategyType.FailureRate, "failure-rate", ["failurerate"]));

    /// <summary>The strategy (<c>restart-strategy.type</c>). Default exponential-delay with checkpointing enabled, else none.</summary>
    public RestartStrategyType Type { get; init; } = RestartStrategyType.None;

    /// <summary>fixed-delay: how many restarts before the job fails (<c>restart-strategy.fixed-delay.attempts</c>). Default 1; at least 0.</summary>
    public int FixedDelayAttempts { get; init; } = 1;

    /// <summary>fixed-delay: the wait before each restart (<c>restart-strategy.fixed-delay.delay</c>). Default 1 s.</summary>
    public TimeSpan FixedDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>exponential-delay: the first backoff (<c>restart-strategy.exponential-delay.initial-backoff</c>). Default 1 s; greater than 0.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>exponential-delay: the largest backoff (<c>restart-strategy.exponential-delay.max-backoff</c>). Default 1 min; at least <see cref="InitialBackoff"/>.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>exponential-delay: the factor the backoff grows by per restart (<c>restart-strategy.exponential-delay.backoff-multiplier</c>). Default 1.5; at least 1.</summary>
    public double BackoffMultiplier { get; init; } = 1.5;

    /// <summary>
    /// exponential-delay: how long the job must run without failure for the backoff and the
    /// attempt count to reset (<c>restart-strategy.exponential-delay.reset-backoff-threshold</c>). Default 1 h; greater than 0.
    /// </summary>
    public TimeSpan ResetBackoffThreshold { get; init; } = TimeSpan.FromHours(1);

    /// <summary>exponential-delay: the backoff varies randomly by up to this fraction either way (<c>restart-strategy.exponential-delay.jitter-factor</c>). Default 0.1; 0 to 1.</summary>
    public double JitterFactor { get; init; } = 0.1;

    /// <summary>
    /// exponential-delay: how many restarts are allowed before the backoff resets; one more
    /// failure fails the job (<c>restart-strategy.exponential-delay.attempts-before-reset-backoff</c>).
    /// Default <see cref="int.MaxValue"/>, in effect unlimited; at least 1.
    /// </summary>
    public int AttemptsBeforeResetBackoff { get; init; } = int.MaxValue;

    /// <summary>failure-rate: the most failures tolerated within <see cref="FailureRateInterval"/> (<c>restart-strategy.failure-rate.max-failures-per-interval</c>). Default 1; at least 1.</summary>
    public int MaxFailuresPerInterval { get; init; } = 1;

    /// <summary>failure-rate: the window failures are counted in (<c>restart-strategy.failure-rate.failure-rate-interval</c>). Default 1 min; greater than 0.</summary>
    public TimeSpan FailureRateInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>failure-rate: the wait before each restart (<c>restart-strategy.failure-rate.delay</c>). Default 1 s.</summary>
    public TimeSpan FailureRateDelay { get; init; } = TimeSpan.FromSeconds(1);

    internal static RestartStrategyOptions Read(SettingReader reader, bool checkpointingEnabled)
    {
        var defaults = new RestartStrategyOptions();
        var options = new RestartStrategyOptions
        {
            Type = ReadType(reader, checkpointingEnabled),
            FixedDelayAttempts = reader.Integer(K.FixedDelayAttempts, defaults.FixedDelayAttempts, minimum: 0),
            FixedDelay = reader.Duration(K.FixedDelayDelay, defaults.FixedDelay, TimeSpan.Zero),
            InitialBackoff = reader.Duration(K.ExponentialInitialBackoff, defaults.InitialBackoff, TimeSpan.Zero, exclusive: true),
            MaxBackoff = reader.Duration(K.ExponentialMaxBackoff, defaults.MaxBackoff, TimeSpan.Zero, exclusive: true),
            BackoffMultiplier = reader.Number(K.ExponentialBackoffMultiplier, defaults.BackoffMultiplier, minimum: 1),
            ResetBackoffThreshold = reader.Duration(K.ExponentialResetBackoffThreshold, defaults.ResetBackoffThreshold, TimeSpan.Zero, exclusive: true),
            JitterFactor = reader.Number(K.ExponentialJitterFactor, defaults.JitterFactor, minimum: 0, maximum: 1),
            AttemptsBeforeResetBackoff = reader.Integer(K.ExponentialAttemptsBeforeResetBackoff, defaults.AttemptsBeforeResetBackoff, minimum: 1),
            MaxFailuresPerInterval = reader.Integer(K.FailureRateMaxFailuresPerInterval, defaults.MaxFailuresPerInterval, minimum: 1),
            FailureRateInterval = reader.Duration(K.FailureRateInterval, defaults.FailureRateInterval, TimeSpan.Zero, exclusive: true),
            FailureRateDelay = reader.Duration(K.FailureRateDelay, defaults.FailureRateDelay, TimeSpan.Zero),
        };

        // The backoff grows from the initial value to the maximum: blame the key the user set.
        if (options.InitialBackoff > options.MaxBackoff)
        {
            if (reader.IsSet(K.ExponentialInitialBackoff))
            {
                reader.Fail(K.ExponentialInitialBackoff, $"expected a duration no longer than {K.ExponentialMaxBackoff} ({SettingFormat.Of(options.MaxBackoff)})");
            }
            else
            {
                reader.Fail(K.ExponentialMaxBackoff, $"expected a duration of at least {K.ExponentialInitialBackoff} ({SettingFormat.Of(options.InitialBackoff)})");
            }
        }

        return options;
    }

    /// <summary>The type and the parameters of the effective strategy (or of all of them).</summary>
    internal IEnumerable<KeyValuePair<string, string?>> Settings(bool effectiveOnly)
    {
        yield return new(K.RestartStrategyType, Types.NameOf(Type));
        if (!effectiveOnly || Type == RestartStrategyType.FixedDelay)
        {
            yield return new(K.FixedDelayAttempts, SettingFormat.Of(FixedDelayAttempts));
            yield return new(K.FixedDelayDelay, SettingFormat.Of(FixedDelay));
        }

        if (!effectiveOnly || Type == RestartStrategyType.ExponentialDelay)
        {
            yield return new(K.ExponentialInitialBackoff, SettingFormat.Of(InitialBackoff));
            yield return new(K.ExponentialMaxBackoff, SettingFormat.Of(MaxBackoff));
            yield return new(K.ExponentialBackoffMultiplier, SettingFormat.Of(BackoffMultiplier));
            yield return new(K.ExponentialResetBackoffThreshold, SettingFormat.Of(ResetBackoffThreshold));
            yield return new(K.ExponentialJitterFactor, SettingFormat.Of(JitterFactor));
            yield return new(K.ExponentialAttemptsBeforeResetBackoff, SettingFormat.Of(AttemptsBeforeResetBackoff));
        }

        if (!effectiveOnly || Type == RestartStrategyType.FailureRate)
        {
            yield return new(K.FailureRateMaxFailuresPerInterval, SettingFormat.Of(MaxFailuresPerInterval));
            yield return new(K.FailureRateInterval, SettingFormat.Of(FailureRateInterval));
            yield return new(K.FailureRateDelay, SettingFormat.Of(FailureRateDelay));
        }
    }

    private static RestartStrategyType ReadType(SettingReader reader, bool checkpointingEnabled)
    {
        var fallback = checkpointingEnabled ? RestartStrategyType.ExponentialDelay : RestartStrategyType.None;
        return reader.Choice(K.RestartStrategyType, fallback, Types);
    }
}
