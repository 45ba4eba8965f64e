using System.Reflection;

namespace Weir.Grains.Activation;

/// <summary>
/// Maps grain interfaces and grain type names to grain classes. Filled from the assemblies the
/// silo is given; an interface with no implementation, or with several, fails at the first
/// <c>GetGrain</c> with a message naming them.
/// </summary>
internal sealed class GrainTypeRegistry
{
    private readonly Dictionary<string, GrainClass> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, List<GrainClass>> _byInterface = [];

    public GrainTypeRegistry(IEnumerable<Type> grainClasses)
    {
        foreach (var type in grainClasses.Distinct())
        {
            var grainClass = new GrainClass(type);
            if (_byName.TryGetValue(grainClass.Name, out var existing))
            {
                throw new InvalidOperationException(
                    $"Grain classes {existing.Type.FullName} and {type.FullName} both have grain type '{grainClass.Name}': give one a [GrainType(\"...\")].");
            }

            _byName.Add(grainClass.Name, grainClass);
            foreach (var grainInterface in type.GetInterfaces().Where(IsGrainInterface))
            {
                if (!_byInterface.TryGetValue(grainInterface, out var list))
                {
                    _byInterface[grainInterface] = list = [];
                }

                list.Add(grainClass);
            }
        }
    }

    public IReadOnlyCollection<GrainClass> Classes => _byName.Values;

    public static IEnumerable<Type> FindGrainClasses(Assembly assembly) =>
        assembly.GetTypes().Where(t => t.IsClass && !t.IsAbstract && !t.ContainsGenericParameters && typeof(Grain).IsAssignableFrom(t));

    public GrainClass ForInterface(Type grainInterface)
    {
        if (!_byInterface.TryGetValue(grainInterface, out var classes) || classes.Count == 0)
        {
            throw new InvalidOperationException(
                $"No grain class implements {grainInterface.Name}: add its assembly with AddWeirSilo(...).AddGrains(assembly) or AddGrain<T>().");
        }

        if (classes.Count > 1)
        {
            throw new InvalidOperationException(
                $"Grain interface {grainInterface.Name} has {classes.Count} implementations ({string.Join(", ", classes.Select(c => c.Type.Name))}): address one by GrainId instead.");
        }

        return classes[0];
    }

    public GrainClass ForGrainId(GrainId grainId, Type grainInterface)
    {
        if (!_byName.TryGetValue(grainId.Type, out var grainClass))
        {
            throw new InvalidOperationException(
                $"No grain class has grain type '{grainId.Type}' (known: {string.Join(", ", _byName.Keys.Order())}).");
        }

        if (!grainInterface.IsAssignableFrom(grainClass.Type))
        {
            throw new InvalidOperationException($"Grain class {grainClass.Type.Name} of {grainId} does not implement {grainInterface.Name}.");
        }

        return grainClass;
    }

    /// <summary>The grain class with grain type <paramref name="name"/>, if any.</summary>
    public GrainClass? FindByName(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Grain interfaces with exactly one implementation, and its grain type: what a grain client needs to address grains.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> InterfaceMap =>
        field ??= _byInterface.Where(p => p.Value.Count == 1).Select(p => new KeyValuePair<string, string>(p.Key.ToString(), p.Value[0].Name)).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();

    internal static bool IsGrainInterface(Type type) =>
        typeof(IGrain).IsAssignableFrom(type)
        && type != typeof(IGrain) && type != typeof(IGrainWithStringKey) && type != typeof(IGrainWithIntegerKey);
}
