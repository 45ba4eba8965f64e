using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Weir.Grains.Invocation;

namespace Weir.Grains.Activation;

/// <summary>What the silo knows of one grain class: its type name, how to create it, how it schedules.</summary>
internal sealed class GrainClass
{
    private readonly ObjectFactory _factory;

    public GrainClass(Type type)
    {
        if (!typeof(Grain).IsAssignableFrom(type) || type.IsAbstract)
        {
            throw new ArgumentException($"{type.FullName} is not a concrete class deriving from Grain.", nameof(type));
        }

        Type = type;
        Name = type.GetCustomAttribute<GrainTypeAttribute>()?.Name ?? DefaultName(type);
        IsReentrant = type.GetCustomAttribute<ReentrantAttribute>() is not null;
        CollectionAge = type.GetCustomAttribute<CollectionAgeLimitAttribute>()?.Age;
        _factory = ActivatorUtilities.CreateFactory(type, Type.EmptyTypes);
    }

    public Type Type { get; }

    /// <summary>The grain type in a <see cref="GrainId"/>.</summary>
    public string Name { get; }

    public bool IsReentrant { get; }

    /// <summary>A per-class collection age, or null for the silo's.</summary>
    public TimeSpan? CollectionAge { get; }

    public Grain Create(IServiceProvider services) => (Grain)_factory(services, null);

    /// <summary>The grain interfaces the class implements.</summary>
    public IEnumerable<Type> GrainInterfaces => Type.GetInterfaces().Where(GrainTypeRegistry.IsGrainInterface);

    /// <summary>The invoker of the interface method with wire id <paramref name="methodId"/> (a call from another silo); null if the class has none.</summary>
    public GrainMethodInvoker? FindMethod(uint methodId) => MethodsById.GetValueOrDefault(methodId);

    private Dictionary<uint, GrainMethodInvoker> MethodsById =>
        field ??= GrainMethod.ById(GrainInterfaces).ToDictionary(p => p.Key, p => GrainReference.InvokerFor(p.Value.Method));

    private static string DefaultName(Type type)
    {
        var name = type.Name;
        var tick = name.IndexOf('`');
        if (tick >= 0)
        {
            name = name[..tick];
        }

        if (name.EndsWith("Grain", StringComparison.Ordinal) && name.Length > "Grain".Length)
        {
            name = name[..^"Grain".Length];
        }

        return name.ToLowerInvariant();
    }
}
