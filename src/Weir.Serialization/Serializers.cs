using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Weir.Serialization;

/// <summary>
/// The serializer of each type: built in for primitives, strings, byte arrays, enums, nullables,
/// tuples, arrays, lists and dictionaries; registered for user types (<see cref="Register{T}"/>,
/// or <see cref="RegisterJson{T}"/> with a System.Text.Json source-generated type info); and
/// System.Text.Json with reflection as the last resort. Register before first use.
/// </summary>
public static class Serializers
{
    private static readonly ConcurrentDictionary<Type, object> Registered = new();

    /// <summary>Options of the JSON fallback.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.General) { IncludeFields = true };

    /// <summary>The serializer of <typeparamref name="T"/>.</summary>
    public static ISerializer<T> Get<T>() => Cache<T>.Instance;

    /// <summary>Registers a serializer for <typeparamref name="T"/>; must happen before the first <see cref="Get{T}"/> of that type.</summary>
    public static void Register<T>(ISerializer<T> serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        if (Cache<T>.IsResolved && !ReferenceEquals(Cache<T>.Instance, serializer))
        {
            throw new InvalidOperationException($"The serializer of {typeof(T).Name} is already in use; register it before the first job or call that uses the type.");
        }

        Registered[typeof(T)] = serializer;
    }

    /// <summary>Registers System.Text.Json with source-generated metadata for <typeparamref name="T"/> (no reflection).</summary>
    public static void RegisterJson<T>(JsonTypeInfo<T> typeInfo) => Register(new JsonSerializer<T>(typeInfo));

    internal static object Resolve(Type type)
    {
        if (Registered.TryGetValue(type, out var registered))
        {
            return registered;
        }

        return BuiltInSerializers.TryCreate(type) ?? Activator.CreateInstance(typeof(JsonSerializer<>).MakeGenericType(type), [null])!;
    }

    private static class Cache<T>
    {
        private static ISerializer<T>? _instance;

        public static bool IsResolved => _instance is not null;

        public static ISerializer<T> Instance => _instance ??= (ISerializer<T>)Resolve(typeof(T));
    }
}

/// <summary>System.Text.Json as a serializer: UTF-8 JSON with a length prefix.</summary>
internal sealed class JsonSerializer<T>(JsonTypeInfo<T>? typeInfo) : ISerializer<T>
{
    public void Write(DataWriter writer, T value)
    {
        var json = typeInfo is null ? JsonSerializer.SerializeToUtf8Bytes(value, Serializers.JsonOptions) : JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        writer.WriteBytes(json);
    }

    public T Read(ref DataReader reader)
    {
        var json = reader.ReadBytes() ?? throw new SerializationException($"Expected JSON for {typeof(T).Name}, found null.");
        try
        {
            return (typeInfo is null ? JsonSerializer.Deserialize<T>(json, Serializers.JsonOptions) : JsonSerializer.Deserialize(json, typeInfo))!;
        }
        catch (JsonException e)
        {
            throw new SerializationException($"Could not read a {typeof(T).Name} from its JSON: {e.Message}", e);
        }
    }
}
