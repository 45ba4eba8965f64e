namespace Weir.Grains;

/// <summary>
/// Tells where grains live, so that code on a silo can choose between a local path and a
/// remote one (e.g. an in-process channel to a grain on this silo, a cross-silo channel to a
/// grain elsewhere). The answer reflects this silo's current view of the cluster and changes
/// when silos join or die.
/// </summary>
public interface IGrainLocator
{
    /// <summary>This silo.</summary>
    SiloAddress LocalSilo { get; }

    /// <summary>The silo that activates <paramref name="grainId"/> now.</summary>
    SiloAddress OwnerOf(GrainId grainId);

    /// <summary>Whether <paramref name="grainId"/> is activated on this silo.</summary>
    bool IsLocal(GrainId grainId);
}
