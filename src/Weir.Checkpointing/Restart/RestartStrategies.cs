using Weir.Checkpointing.Configuration;

namespace Weir.Checkpointing.Restart;

/// <summary>Creates the restart strategy that <see cref="RestartStrategyOptions"/> describe.</summary>
public static class RestartStrategies
{
    /// <summary>
    /// A new strategy for one job run. <paramref name="time"/> measures failure intervals and
    /// backoffs; <paramref name="random"/> draws the exponential-delay jitter (seed it in tests).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The options were built in code with a value parsing would reject.</exception>
    public static IRestartBackoffTimeStrategy Create(RestartStrategyOptions options, TimeProvider time, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        return options.Type switch
        {
            RestartStrategyType.None => new NoRestartBackoffTimeStrategy(),
            RestartStrategyType.FixedDelay => new FixedDelayRestartBackoffTimeStrategy(options.FixedDelayAttempts, options.FixedDelay),
            RestartStrategyType.ExponentialDelay => new ExponentialDelayRestartBackoffTimeStrategy(
                options.InitialBackoff,
                options.MaxBackoff,
                options.BackoffMultiplier,
                options.ResetBackoffThreshold,
                options.JitterFactor,
                options.AttemptsBeforeResetBackoff,
                time,
                random),
            RestartStrategyType.FailureRate => new FailureRateRestartBackoffTimeStrategy(
                options.MaxFailuresPerInterval, options.FailureRateInterval, options.FailureRateDelay, time),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Type, "Unknown restart strategy type."),
        };
    }
}
