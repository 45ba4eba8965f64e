using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using Weir.Serialization;

namespace Weir.Grains.Invocation;

/// <summary>
/// A grain interface method as it crosses processes: a stable 32-bit id (a hash of the
/// interface's and parameters' type names and the method name, the same in every process that
/// loads the same interface), how to encode its arguments and its result, its display name and
/// its own timeout. Built once per method.
/// </summary>
internal sealed class GrainMethod
{
    private static readonly ConcurrentDictionary<MethodInfo, GrainMethod> Methods = new();

    private GrainMethod(MethodInfo method)
    {
        Method = method;
        Signature = SignatureOf(method);
        Id = StableHash.Of(Signature);
        DisplayName = $"{method.DeclaringType!.Name}.{method.Name}";
        Timeout = method.GetCustomAttribute<ResponseTimeoutAttribute>()?.Timeout;
        Parameters = method.GetParameters().Select(p => ValueCodec.For(p.ParameterType)).ToArray();
        var returnType = method.ReturnType;
        ReturnsValueTask = returnType == typeof(ValueTask) || (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(ValueTask<>));
        Result = returnType.IsGenericType && (returnType.GetGenericTypeDefinition() == typeof(Task<>) || returnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
            ? ValueCodec.For(returnType.GetGenericArguments()[0])
            : null;
        if (Result is null && returnType != typeof(Task) && returnType != typeof(ValueTask))
        {
            throw new InvalidOperationException(
                $"Grain interface method {DisplayName} returns {returnType.Name}: grain methods must return Task, Task<T>, ValueTask or ValueTask<T>.");
        }
    }

    public MethodInfo Method { get; }

    /// <summary><c>Namespace.IInterface.Method(ParamType, ...)</c>: what <see cref="Id"/> hashes.</summary>
    public string Signature { get; }

    public uint Id { get; }

    /// <summary><c>IInterface.Method</c>, for messages.</summary>
    public string DisplayName { get; }

    /// <summary>The method's own timeout, if it declares one.</summary>
    public TimeSpan? Timeout { get; }

    public ValueCodec[] Parameters { get; }

    /// <summary>The codec of the result; null for <see cref="Task"/> and <see cref="ValueTask"/>.</summary>
    public ValueCodec? Result { get; }

    public bool ReturnsValueTask { get; }

    public static GrainMethod For(MethodInfo method) => Methods.GetOrAdd(method, static m => new GrainMethod(m));

    public void WriteArguments(DataWriter writer, object?[] arguments)
    {
        writer.WriteVarUInt64((ulong)arguments.Length);
        for (var i = 0; i < Parameters.Length; i++)
        {
            Parameters[i].WriteBoxed(writer, arguments[i]);
        }
    }

    public object?[] ReadArguments(ReadOnlySpan<byte> encoded)
    {
        var reader = new DataReader(encoded);
        var count = reader.ReadVarUInt64();
        if (count != (ulong)Parameters.Length)
        {
            throw new SerializationException($"The call {DisplayName} carries {count} arguments; the method takes {Parameters.Length}. Do caller and grain use the same interface version?");
        }

        var arguments = new object?[Parameters.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            arguments[i] = Parameters[i].ReadBoxed(ref reader);
        }

        if (!reader.End)
        {
            throw new SerializationException($"The arguments of {DisplayName} leave {reader.Remaining} bytes unread.");
        }

        return arguments;
    }

    /// <summary>The grain interfaces' methods of <paramref name="grainInterfaces"/> by id; fails naming both methods if two ids collide.</summary>
    public static Dictionary<uint, GrainMethod> ById(IEnumerable<Type> grainInterfaces)
    {
        var byId = new Dictionary<uint, GrainMethod>();
        foreach (var method in grainInterfaces.SelectMany(i => i.GetMethods()))
        {
            var grainMethod = For(method);
            if (byId.TryGetValue(grainMethod.Id, out var existing) && existing.Method != method)
            {
                throw new InvalidOperationException(
                    $"Grain methods {existing.Signature} and {grainMethod.Signature} have the same method id {grainMethod.Id:x8}: rename one of them.");
            }

            byId[grainMethod.Id] = grainMethod;
        }

        return byId;
    }

    private static string SignatureOf(MethodInfo method)
    {
        var builder = new StringBuilder();
        builder.Append(method.DeclaringType!.ToString()).Append('.').Append(method.Name).Append('(');
        var parameters = method.GetParameters();
        for (var i = 0; i < parameters.Length; i++)
        {
            builder.Append(i == 0 ? string.Empty : ",").Append(parameters[i].ParameterType.ToString());
        }

        return builder.Append(')').ToString();
    }
}
