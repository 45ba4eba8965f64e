namespace Weir.Grains.Placement;

/// <summary>
/// Where grains live: this silo's view of the ring of active silos. A grain is activated only on
/// its owner; calls to it go there. In a single silo (or before the silo sees any active silo)
/// every grain is local. The ring changes when membership does; the silo then deactivates the
/// grains it no longer owns.
/// </summary>
internal sealed class GrainPlacement(SiloAddress localSilo, int virtualNodesPerSilo) : IGrainLocator
{
    private volatile ConsistentHashRing _ring = ConsistentHashRing.Empty;

    public SiloAddress LocalSilo { get; private set; } = localSilo;

    public ConsistentHashRing Ring => _ring;

    public SiloAddress OwnerOf(GrainId grainId) => _ring.OwnerOf(grainId.GetUniformHashCode()) ?? LocalSilo;

    public bool IsLocal(GrainId grainId) => OwnerOf(grainId).Equals(LocalSilo);

    /// <summary>Sets this silo's address once its port is bound (before it joins).</summary>
    public void SetLocalSilo(SiloAddress silo) => LocalSilo = silo;

    /// <summary>Rebuilds the ring over <paramref name="activeSilos"/>; false if they are the silos it already has.</summary>
    public bool Update(IReadOnlyCollection<SiloAddress> activeSilos)
    {
        if (_ring.HasSameSilos(activeSilos))
        {
            return false;
        }

        _ring = new ConsistentHashRing(activeSilos, virtualNodesPerSilo);
        return true;
    }
}
