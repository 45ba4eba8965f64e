using System.Collections.Concurrent;

namespace Weir.Grains.Activation;

/// <summary>The activations of this silo, by grain id. At most one activation per grain id is in it at a time.</summary>
internal sealed class Catalog(GrainRuntime runtime)
{
    private readonly ConcurrentDictionary<GrainId, ActivationData> _activations = new();

    public int Count => _activations.Count;

    public ICollection<ActivationData> Activations => _activations.Values;

    public bool TryGet(GrainId grainId, out ActivationData? activation) => _activations.TryGetValue(grainId, out activation);

    /// <summary>The activation of <paramref name="grainId"/>, created (and started) if there is none.</summary>
    public ActivationData GetOrCreate(GrainId grainId, GrainClass grainClass)
    {
        if (_activations.TryGetValue(grainId, out var existing))
        {
            return existing;
        }

        runtime.ThrowIfNotAcceptingActivations(grainId);
        var created = new ActivationData(grainId, grainClass, runtime);
        var winner = _activations.GetOrAdd(grainId, created);
        if (ReferenceEquals(winner, created))
        {
            created.Start();
        }

        return winner;
    }

    public void Remove(ActivationData activation) =>
        _activations.TryRemove(new KeyValuePair<GrainId, ActivationData>(activation.GrainId, activation));
}
