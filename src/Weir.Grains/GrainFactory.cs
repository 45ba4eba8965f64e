using System.Globalization;
using Weir.Grains.Invocation;

namespace Weir.Grains;

/// <summary>Creates grain references bound to this silo's runtime.</summary>
internal sealed class GrainFactory(GrainRuntime runtime) : IGrainFactory
{
    public TGrainInterface GetGrain<TGrainInterface>(string key)
        where TGrainInterface : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(key);
        var grainClass = runtime.Registry.ForInterface(typeof(TGrainInterface));
        return GrainReference.Create<TGrainInterface>(runtime, new GrainId(grainClass.Name, key), grainClass);
    }

    public TGrainInterface GetGrain<TGrainInterface>(long key)
        where TGrainInterface : IGrainWithIntegerKey
    {
        var grainClass = runtime.Registry.ForInterface(typeof(TGrainInterface));
        return GrainReference.Create<TGrainInterface>(runtime, new GrainId(grainClass.Name, key.ToString(CultureInfo.InvariantCulture)), grainClass);
    }

    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId)
        where TGrainInterface : IGrain
    {
        var grainClass = runtime.Registry.ForGrainId(grainId, typeof(TGrainInterface));
        return GrainReference.Create<TGrainInterface>(runtime, grainId, grainClass);
    }
}
