using System.Globalization;
using Weir.Grains.Activation;
using Weir.Grains.Timers;

namespace Weir.Grains;

/// <summary>
/// Base class of grain implementations. A grain's code runs in turns on its activation: one
/// message at a time, and <c>await</c> continuations come back to the activation, so the grain
/// needs no locks. Constructor parameters are resolved from the silo's services.
/// </summary>
public abstract class Grain : IGrain, IGrainIdentity
{
    private ActivationData? _activation;

    internal ActivationData Activation => _activation
        ?? throw new InvalidOperationException($"{GetType().Name} was not created by the silo: a grain's runtime members are available from OnActivateAsync on.");

    internal void Attach(ActivationData activation) => _activation = activation;

    /// <summary>The id of this grain.</summary>
    public GrainId GrainId => Activation.GrainId;

    /// <summary>Creates references to other grains.</summary>
    protected IGrainFactory GrainFactory => Activation.Runtime.GrainFactory;

    /// <summary>The silo's clock.</summary>
    protected TimeProvider TimeProvider => Activation.Runtime.TimeProvider;

    /// <summary>The string key of this grain.</summary>
    protected string GetPrimaryKeyString() => GrainId.Key;

    /// <summary>The integer key of this grain.</summary>
    /// <exception cref="InvalidOperationException">The key is not an integer.</exception>
    protected long GetPrimaryKeyLong() => long.TryParse(GrainId.Key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var key)
        ? key
        : throw new InvalidOperationException($"The key of grain {GrainId} is not an integer.");

    /// <summary>Runs on activation, before the first message. An exception fails the activation and the calls waiting for it.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs on deactivation, after the last turn. Timers are disposed afterwards.</summary>
    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Deactivates this grain once the current turn ends. Calls that arrive later activate it again.</summary>
    protected void DeactivateOnIdle() => Activation.RequestDeactivation(DeactivationReason.ApplicationRequested);

    /// <summary>Keeps this activation from idle collection for at least <paramref name="period"/>
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: until told otherwise; <see cref="TimeSpan.Zero"/>: cancel an earlier delay).</summary>
    protected void DelayDeactivation(TimeSpan period) => Activation.DelayDeactivation(period);

    /// <summary>
    /// Registers a timer whose callback runs as a turn of this grain (never in parallel with
    /// other turns). The next tick is scheduled <paramref name="period"/> after the callback
    /// completes; <see cref="Timeout.InfiniteTimeSpan"/> makes it fire once. Disposed on deactivation.
    /// </summary>
    protected IDisposable RegisterGrainTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return GrainTimer.Start(Activation, callback, dueTime, period);
    }
}

/// <summary>Why an activation is deactivated.</summary>
public enum DeactivationReason
{
    /// <summary>It was idle for longer than its collection age.</summary>
    IdleCollection,

    /// <summary>The grain called <c>DeactivateOnIdle</c>.</summary>
    ApplicationRequested,

    /// <summary>The silo is shutting down.</summary>
    ShuttingDown,

    /// <summary>Activation failed.</summary>
    ActivationFailed,

    /// <summary>The cluster changed and another silo owns the grain now; its next call activates it there.</summary>
    PlacementChanged,
}
