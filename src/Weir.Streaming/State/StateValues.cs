using System.Collections.Concurrent;
using System.Numerics;
using System.Reflection;
using Weir.Serialization;

namespace Weir.Streaming.State;

/// <summary>
/// How copy-on-write treats state values of type <typeparamref name="T"/>. A value a snapshot may
/// still read must not change under it. Values of an immutable type (<see cref="ImmutableTypes"/>)
/// are shared as they are. Any other value is deep-copied before the task may change it in place,
/// once per snapshot. An accumulator whose <c>Add</c> changes it and returns it, or a value object
/// changed after <c>Value</c> and then updated, is copied first, as Flink's heap state backend
/// copies a mutable value through its serializer. The copy goes through the type's serializer,
/// so it is exactly what a restore of the checkpoint would give.
/// </summary>
internal static class StateValues<T>
{
    /// <summary>Whether values can be shared with a snapshot without a copy.</summary>
    public static readonly bool Immutable = ImmutableTypes.Is(typeof(T));

    /// <summary>A deep copy of a value; null for an immutable type (no copy needed).</summary>
    public static readonly Func<T, T>? Copier = Immutable ? null : Copy;

    [ThreadStatic]
    private static DataWriter? _writer;

    /// <summary>A deep copy, through the type's serializer.</summary>
    public static T Copy(T value)
    {
        var writer = _writer ??= new DataWriter();
        writer.Reset();
        var serializer = Serializers.Get<T>();
        serializer.Write(writer, value);
        var reader = new DataReader(writer.WrittenSpan);
        return serializer.Read(ref reader);
    }
}

/// <summary>
/// Whether a type's values can never change after they are made: primitives, enums, strings and
/// the BCL's immutable value types; structs whose fields all hold such types (a copy of a struct is a
/// copy); sealed classes, records among them, whose fields are all read-only (<c>readonly</c>, or the
/// backing fields of <c>init</c> properties) and hold such types. Anything else (arrays, collections,
/// classes with settable fields, classes that may be subclassed, interfaces) is taken as mutable.
/// </summary>
internal static class ImmutableTypes
{
    private static readonly ConcurrentDictionary<Type, bool> Known = new();

    private static readonly HashSet<Type> Leaves =
    [
        typeof(string), typeof(decimal), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan), typeof(Guid),
        typeof(DateOnly), typeof(TimeOnly), typeof(Half), typeof(Int128), typeof(UInt128), typeof(BigInteger), typeof(Uri),
    ];

    public static bool Is(Type type) => Known.GetOrAdd(type, static t => Check(t, []));

    private static bool Check(Type type, HashSet<Type> visiting)
    {
        if (type.IsPrimitive || type.IsEnum || Leaves.Contains(type))
        {
            return true;
        }

        if (type.IsArray || type.IsPointer || type.IsInterface || type.IsAbstract || (!type.IsValueType && !type.IsSealed))
        {
            return false;
        }

        if (Known.TryGetValue(type, out var known))
        {
            return known;
        }

        if (!visiting.Add(type))
        {
            return true; // a cycle through references: decided by the other fields
        }

        for (var current = type; current is not null && current != typeof(object) && current != typeof(ValueType); current = current.BaseType)
        {
            foreach (var field in current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                // A class's field must not be reassigned; a struct's may (the struct is copied whole).
                if ((!type.IsValueType && !field.IsInitOnly) || !Check(field.FieldType, visiting))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
