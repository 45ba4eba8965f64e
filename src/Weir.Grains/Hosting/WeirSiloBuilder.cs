using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Weir.Grains.Activation;

namespace Weir.Grains.Hosting;

/// <summary>Adds grain classes to a silo. Returned by <c>AddWeirSilo</c>.</summary>
public sealed class WeirSiloBuilder
{
    internal WeirSiloBuilder(IServiceCollection services) => Services = services;

    /// <summary>The host's services.</summary>
    public IServiceCollection Services { get; }

    internal HashSet<Type> GrainClasses { get; } = [];

    /// <summary>Adds every concrete grain class in <paramref name="assembly"/>.</summary>
    public WeirSiloBuilder AddGrains(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        GrainClasses.UnionWith(GrainTypeRegistry.FindGrainClasses(assembly));
        return this;
    }

    /// <summary>Adds one grain class.</summary>
    public WeirSiloBuilder AddGrain<TGrain>()
        where TGrain : Grain
    {
        GrainClasses.Add(typeof(TGrain));
        return this;
    }
}
