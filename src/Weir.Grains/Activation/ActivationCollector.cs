namespace Weir.Grains.Activation;

/// <summary>
/// Deactivates activations that were idle longer than their collection age. Runs every
/// collection quantum on the silo's clock, so a test drives it with a manual clock.
/// </summary>
internal sealed class ActivationCollector(GrainRuntime runtime) : IDisposable
{
    private ITimer? _timer;

    public void Start()
    {
        var quantum = runtime.Options.CollectionQuantum;
        _timer = runtime.TimeProvider.CreateTimer(_ => Collect(), null, quantum, quantum);
    }

    public int Collect()
    {
        var now = runtime.TimeProvider.GetTimestamp();
        var collected = 0;
        foreach (var activation in runtime.Catalog.Activations)
        {
            var age = activation.GrainClass.CollectionAge ?? runtime.Options.CollectionAge;
            if (activation.IsIdleLongerThan(age, now))
            {
                activation.RequestDeactivation(DeactivationReason.IdleCollection);
                collected++;
            }
        }

        if (collected > 0)
        {
            runtime.Log.CollectingIdle(collected);
        }

        return collected;
    }

    public void Dispose() => _timer?.Dispose();
}
