using Microsoft.Extensions.Logging;

namespace Weir.Grains;

/// <summary>The runtime's log events.</summary>
internal sealed partial class RuntimeLog(ILogger logger)
{
    private readonly ILogger _logger = logger;

    [LoggerMessage(1, LogLevel.Information, "Silo {SiloName} started with {GrainClassCount} grain classes")]
    public partial void SiloStarted(string siloName, int grainClassCount);

    [LoggerMessage(2, LogLevel.Information, "Silo {SiloName} stopping: deactivating {ActivationCount} activations")]
    public partial void SiloStopping(string siloName, int activationCount);

    [LoggerMessage(3, LogLevel.Information, "Silo {SiloName} stopped")]
    public partial void SiloStopped(string siloName);

    [LoggerMessage(4, LogLevel.Warning, "Activation of grain {GrainId} failed")]
    public partial void ActivationFailed(Exception exception, GrainId grainId);

    [LoggerMessage(5, LogLevel.Warning, "OnDeactivateAsync of grain {GrainId} failed (reason {Reason})")]
    public partial void DeactivationFailed(Exception exception, GrainId grainId, DeactivationReason reason);

    [LoggerMessage(6, LogLevel.Warning, "Timer callback of grain {GrainId} failed")]
    public partial void TimerCallbackFailed(Exception exception, GrainId grainId);

    [LoggerMessage(7, LogLevel.Debug, "Collecting {Count} idle activations")]
    public partial void CollectingIdle(int count);
}
