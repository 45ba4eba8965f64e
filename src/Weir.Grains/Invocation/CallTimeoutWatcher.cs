namespace Weir.Grains.Invocation;

/// <summary>
/// Fails calls that got no answer by their deadline. Every call is queued at or running on an
/// activation, or pending on another silo, so a periodic sweep over activations and pending
/// remote calls finds them all; no per-call timer is needed.
/// The sweep period is a tenth of the response timeout (between 10 ms and 1 s).
/// </summary>
internal sealed class CallTimeoutWatcher(GrainRuntime runtime) : IDisposable
{
    private ITimer? _timer;

    public static TimeSpan SweepPeriod(TimeSpan responseTimeout) =>
        TimeSpan.FromTicks(Math.Clamp(responseTimeout.Ticks / 10, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));

    public void Start()
    {
        var period = SweepPeriod(runtime.Options.ResponseTimeout);
        _timer = runtime.TimeProvider.CreateTimer(_ => Sweep(), null, period, period);
    }

    public void Sweep()
    {
        var now = runtime.TimeProvider.GetTimestamp();
        foreach (var activation in runtime.Catalog.Activations)
        {
            activation.FailExpiredCalls(now);
        }

        // Calls sent to other silos wait outside any local activation.
        runtime.Cluster?.PendingCalls.Expire(now);
    }

    public void Dispose() => _timer?.Dispose();
}
