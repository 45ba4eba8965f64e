namespace Weir.Checkpointing.Configuration;

/// <summary>How a failed job is restarted (<c>restart-strategy.type</c>).</summary>
public enum RestartStrategyType
{
    /// <summary>none (also off, disable): the job fails on its first failure.</summary>
    None,

    /// <summary>fixed-delay: a fixed number of restarts, each after the same delay.</summary>
    FixedDelay,

    /// <summary>exponential-delay: restarts with a growing, jittered backoff that resets after a quiet period.</summary>
    ExponentialDelay,

    /// <summary>failure-rate: restarts after a delay unless too many failures fall within an interval.</summary>
    FailureRate,
}
