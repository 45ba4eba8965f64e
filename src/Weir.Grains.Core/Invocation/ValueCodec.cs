using System.Collections.Concurrent;
using Weir.Serialization;

namespace Weir.Grains.Invocation;

/// <summary>
/// Encodes values of one static type for grain calls between processes, through the type's
/// serializer (<see cref="Serializers.Get{T}"/>: built-ins, registered ones, or the JSON
/// fallback for records and read-only collections). The serializer is looked up at first use,
/// so a type that only ever travels within one silo never needs one.
/// </summary>
internal abstract class ValueCodec
{
    private static readonly ConcurrentDictionary<Type, ValueCodec> Codecs = new();

    public abstract Type Type { get; }

    public static ValueCodec For(Type type) =>
        Codecs.GetOrAdd(type, static t => (ValueCodec)Activator.CreateInstance(typeof(ValueCodec<>).MakeGenericType(t))!);

    public abstract void WriteBoxed(DataWriter writer, object? value);

    public abstract object? ReadBoxed(ref DataReader reader);

    /// <summary>Writes the result of a completed <see cref="Task{T}"/> of this type.</summary>
    public abstract void WriteTaskResult(DataWriter writer, Task completed);
}

internal sealed class ValueCodec<T> : ValueCodec
{
    public override Type Type => typeof(T);

    public override void WriteBoxed(DataWriter writer, object? value) => Serializers.Get<T>().Write(writer, (T)value!);

    public override object? ReadBoxed(ref DataReader reader) => Serializers.Get<T>().Read(ref reader);

    public override void WriteTaskResult(DataWriter writer, Task completed) => Serializers.Get<T>().Write(writer, ((Task<T>)completed).Result);
}
