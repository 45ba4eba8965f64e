using System.Collections.Concurrent;
using System.Reflection;
using Weir.Serialization;

namespace Weir.Grains.Wire;

/// <summary>
/// How an exception thrown by grain code reaches a caller on another silo: as its type's full
/// name and its message. The caller rebuilds the same type when it is loaded in the caller's
/// process (no assembly is ever loaded for a name off the wire) and has a public constructor
/// taking a message; otherwise it gets a <see cref="GrainCallException"/> naming the type.
/// </summary>
internal static class RemoteExceptions
{
    private const int MaxTypeNameChars = 512;
    private const int MaxCachedNames = 1024;
    private static readonly ConcurrentDictionary<string, Func<string, Exception>?> Factories = new(StringComparer.Ordinal);

    public static void Write(DataWriter writer, Exception exception)
    {
        while (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            exception = aggregate.InnerExceptions[0];
        }

        writer.WriteString(exception.GetType().FullName ?? exception.GetType().Name);
        writer.WriteString(exception.Message);
    }

    public static Exception Read(ref DataReader reader)
    {
        var typeName = reader.ReadString() ?? nameof(Exception);
        var message = reader.ReadString() ?? string.Empty;
        return Rebuild(typeName, message);
    }

    public static Exception Rebuild(string typeName, string message)
    {
        if (typeName.Length > MaxTypeNameChars)
        {
            return new GrainCallException(typeName[..MaxTypeNameChars], message);
        }

        if (!Factories.TryGetValue(typeName, out var factory))
        {
            factory = FindFactory(typeName);
            if (factory is not null || Factories.Count < MaxCachedNames)
            {
                Factories.TryAdd(typeName, factory);
            }
        }

        try
        {
            return factory?.Invoke(message) ?? new GrainCallException(typeName, message);
        }
        catch (Exception)
        {
            return new GrainCallException(typeName, message);
        }
    }

    private static Func<string, Exception>? FindFactory(string typeName)
    {
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            Type? type;
            try
            {
                type = assembly.GetType(typeName, throwOnError: false);
            }
            catch (Exception)
            {
                continue;
            }

            if (type is null || !typeof(Exception).IsAssignableFrom(type) || type.IsAbstract || type.ContainsGenericParameters)
            {
                continue;
            }

            // (message, innerException) first: for ArgumentNullException and its kind, (string) is the parameter name.
            if (type.GetConstructor(BindingFlags.Public | BindingFlags.Instance, [typeof(string), typeof(Exception)]) is { } withInner)
            {
                return message => (Exception)withInner.Invoke([message, null]);
            }

            if (type.GetConstructor(BindingFlags.Public | BindingFlags.Instance, [typeof(string)]) is { } withMessage)
            {
                return message => (Exception)withMessage.Invoke([message]);
            }

            return null;
        }

        return null;
    }
}
