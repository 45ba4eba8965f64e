using System.Runtime.CompilerServices;

namespace Weir.Serialization;

/// <summary>Serializers for the types every job uses, composed for generic containers.</summary>
internal static class BuiltInSerializers
{
    public static object? TryCreate(Type type)
    {
        if (Primitive.TryGetValue(type, out var primitive))
        {
            return primitive;
        }

        if (type.IsEnum)
        {
            return Activator.CreateInstance(typeof(EnumSerializer<>).MakeGenericType(type));
        }

        if (type.IsArray && type.GetArrayRank() == 1)
        {
            return Activator.CreateInstance(typeof(ArraySerializer<>).MakeGenericType(type.GetElementType()!));
        }

        if (!type.IsGenericType)
        {
            return null;
        }

        var definition = type.GetGenericTypeDefinition();
        var arguments = type.GetGenericArguments();
        var composite = definition switch
        {
            _ when definition == typeof(Nullable<>) => typeof(NullableSerializer<>),
            _ when definition == typeof(List<>) => typeof(ListSerializer<>),
            _ when definition == typeof(Dictionary<,>) => typeof(DictionarySerializer<,>),
            _ when definition == typeof(KeyValuePair<,>) => typeof(KeyValuePairSerializer<,>),
            _ when definition == typeof(ValueTuple<,>) => typeof(ValueTupleSerializer<,>),
            _ when definition == typeof(ValueTuple<,,>) => typeof(ValueTupleSerializer<,,>),
            _ when definition == typeof(ValueTuple<,,,>) => typeof(ValueTupleSerializer<,,,>),
            _ when definition == typeof(Tuple<,>) => typeof(TupleSerializer<,>),
            _ when definition == typeof(Tuple<,,>) => typeof(TupleSerializer<,,>),
            _ => null,
        };
        return composite is null ? null : Activator.CreateInstance(composite.MakeGenericType(arguments));
    }

    private static readonly Dictionary<Type, object> Primitive = new()
    {
        [typeof(bool)] = new Lambda<bool>((w, v) => w.WriteBoolean(v), (ref DataReader r) => r.ReadBoolean()),
        [typeof(byte)] = new Lambda<byte>((w, v) => w.WriteByte(v), (ref DataReader r) => r.ReadByte()),
        [typeof(short)] = new Lambda<short>((w, v) => w.WriteVarInt64(v), (ref DataReader r) => checked((short)r.ReadVarInt64())),
        [typeof(ushort)] = new Lambda<ushort>((w, v) => w.WriteVarUInt64(v), (ref DataReader r) => checked((ushort)r.ReadVarUInt64())),
        [typeof(int)] = new Lambda<int>((w, v) => w.WriteVarInt64(v), (ref DataReader r) => r.ReadVarInt32()),
        [typeof(uint)] = new Lambda<uint>((w, v) => w.WriteVarUInt64(v), (ref DataReader r) => checked((uint)r.ReadVarUInt64())),
        [typeof(long)] = new Lambda<long>((w, v) => w.WriteVarInt64(v), (ref DataReader r) => r.ReadVarInt64()),
        [typeof(ulong)] = new Lambda<ulong>((w, v) => w.WriteVarUInt64(v), (ref DataReader r) => r.ReadVarUInt64()),
        [typeof(float)] = new Lambda<float>((w, v) => w.WriteSingle(v), (ref DataReader r) => r.ReadSingle()),
        [typeof(double)] = new Lambda<double>((w, v) => w.WriteDouble(v), (ref DataReader r) => r.ReadDouble()),
        [typeof(decimal)] = new Lambda<decimal>(WriteDecimal, ReadDecimal),
        [typeof(char)] = new Lambda<char>((w, v) => w.WriteVarUInt64(v), (ref DataReader r) => checked((char)r.ReadVarUInt64())),
        [typeof(string)] = new Lambda<string?>((w, v) => w.WriteString(v), (ref DataReader r) => r.ReadString()),
        [typeof(byte[])] = new Lambda<byte[]?>((w, v) => w.WriteBytes(v), (ref DataReader r) => r.ReadBytes()),
        [typeof(Guid)] = new Lambda<Guid>(WriteGuid, ReadGuid),
        [typeof(DateTime)] = new Lambda<DateTime>((w, v) => w.WriteInt64(v.ToBinary()), (ref DataReader r) => DateTime.FromBinary(r.ReadInt64())),
        [typeof(DateTimeOffset)] = new Lambda<DateTimeOffset>(WriteDateTimeOffset, ReadDateTimeOffset),
        [typeof(TimeSpan)] = new Lambda<TimeSpan>((w, v) => w.WriteVarInt64(v.Ticks), (ref DataReader r) => new TimeSpan(r.ReadVarInt64())),
    };

    private static void WriteDecimal(DataWriter writer, decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        foreach (var part in bits)
        {
            writer.WriteInt32(part);
        }
    }

    private static decimal ReadDecimal(ref DataReader reader) =>
        new([reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32()]);

    private static void WriteGuid(DataWriter writer, Guid value)
    {
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes);
        writer.WriteRaw(bytes);
    }

    private static Guid ReadGuid(ref DataReader reader) => new(reader.ReadRaw(16));

    private static void WriteDateTimeOffset(DataWriter writer, DateTimeOffset value)
    {
        writer.WriteInt64(value.UtcTicks);
        writer.WriteVarInt64((long)value.Offset.TotalMinutes);
    }

    private static DateTimeOffset ReadDateTimeOffset(ref DataReader reader)
    {
        var ticks = reader.ReadInt64();
        var offset = TimeSpan.FromMinutes(reader.ReadVarInt64());
        return new DateTimeOffset(ticks + offset.Ticks, offset);
    }

    internal delegate T ReadFunc<T>(ref DataReader reader);

    private sealed class Lambda<T>(Action<DataWriter, T> write, ReadFunc<T> read) : ISerializer<T>
    {
        public void Write(DataWriter writer, T value) => write(writer, value);

        public T Read(ref DataReader reader) => read(ref reader);
    }
}

internal sealed class EnumSerializer<T> : ISerializer<T>
    where T : struct, Enum
{
    // The value as a long: sign-extended from a signed underlying type, zero-extended from an unsigned one
    // (a ulong's bits as they are); read back truncated to the underlying type. No boxing either way.
    private static readonly bool Signed = Type.GetTypeCode(Enum.GetUnderlyingType(typeof(T))) is TypeCode.SByte or TypeCode.Int16 or TypeCode.Int32 or TypeCode.Int64;

    public void Write(DataWriter writer, T value) => writer.WriteVarInt64(Unsafe.SizeOf<T>() switch
    {
        1 => Signed ? Unsafe.As<T, sbyte>(ref value) : Unsafe.As<T, byte>(ref value),
        2 => Signed ? Unsafe.As<T, short>(ref value) : Unsafe.As<T, ushort>(ref value),
        4 => Signed ? Unsafe.As<T, int>(ref value) : Unsafe.As<T, uint>(ref value),
        _ => Unsafe.As<T, long>(ref value),
    });

    public T Read(ref DataReader reader)
    {
        var raw = reader.ReadVarInt64();
        return Unsafe.SizeOf<T>() switch
        {
            1 => From((byte)raw),
            2 => From((ushort)raw),
            4 => From((uint)raw),
            _ => From(raw),
        };
    }

    private static T From<TBits>(TBits bits)
        where TBits : struct => Unsafe.As<TBits, T>(ref bits);
}

internal sealed class NullableSerializer<T> : ISerializer<T?>
    where T : struct
{
    private readonly ISerializer<T> _inner = Serializers.Get<T>();

    public void Write(DataWriter writer, T? value)
    {
        writer.WriteBoolean(value.HasValue);
        if (value.HasValue)
        {
            _inner.Write(writer, value.Value);
        }
    }

    public T? Read(ref DataReader reader) => reader.ReadBoolean() ? _inner.Read(ref reader) : null;
}

internal sealed class ArraySerializer<T> : ISerializer<T[]?>
{
    private readonly ISerializer<T> _item = Serializers.Get<T>();

    public void Write(DataWriter writer, T[]? value)
    {
        writer.WriteVarUInt64(value is null ? 0 : (ulong)value.Length + 1);
        foreach (var item in value ?? [])
        {
            _item.Write(writer, item);
        }
    }

    public T[]? Read(ref DataReader reader)
    {
        var prefix = reader.ReadVarUInt64();
        if (prefix == 0)
        {
            return null;
        }

        var count = checked((int)(prefix - 1));
        if (count > reader.Remaining)
        {
            // More elements than bytes left: corrupt unless the elements take no bytes. Read before allocating for the claim.
            var list = new List<T>(reader.Remaining);
            for (var i = 0; i < count; i++)
            {
                list.Add(_item.Read(ref reader));
            }

            return [.. list];
        }

        var items = new T[count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = _item.Read(ref reader);
        }

        return items;
    }
}

internal sealed class ListSerializer<T> : ISerializer<List<T>?>
{
    private readonly ISerializer<T> _item = Serializers.Get<T>();

    public void Write(DataWriter writer, List<T>? value)
    {
        writer.WriteVarUInt64(value is null ? 0 : (ulong)value.Count + 1);
        foreach (var item in value ?? [])
        {
            _item.Write(writer, item);
        }
    }

    public List<T>? Read(ref DataReader reader)
    {
        var prefix = reader.ReadVarUInt64();
        if (prefix == 0)
        {
            return null;
        }

        var count = checked((int)(prefix - 1));
        var list = new List<T>(Math.Min(count, reader.Remaining));
        for (var i = 0; i < count; i++)
        {
            list.Add(_item.Read(ref reader));
        }

        return list;
    }
}

internal sealed class DictionarySerializer<TKey, TValue> : ISerializer<Dictionary<TKey, TValue>?>
    where TKey : notnull
{
    private readonly ISerializer<TKey> _key = Serializers.Get<TKey>();
    private readonly ISerializer<TValue> _value = Serializers.Get<TValue>();

    public void Write(DataWriter writer, Dictionary<TKey, TValue>? value)
    {
        writer.WriteVarUInt64(value is null ? 0 : (ulong)value.Count + 1);
        foreach (var (k, v) in value ?? [])
        {
            _key.Write(writer, k);
            _value.Write(writer, v);
        }
    }

    public Dictionary<TKey, TValue>? Read(ref DataReader reader)
    {
        var prefix = reader.ReadVarUInt64();
        if (prefix == 0)
        {
            return null;
        }

        var count = checked((int)(prefix - 1));
        var map = new Dictionary<TKey, TValue>(Math.Min(count, reader.Remaining));
        for (var i = 0; i < count; i++)
        {
            var key = _key.Read(ref reader);
            map[key] = _value.Read(ref reader);
        }

        return map;
    }
}

internal sealed class KeyValuePairSerializer<TKey, TValue> : ISerializer<KeyValuePair<TKey, TValue>>
{
    private readonly ISerializer<TKey> _key = Serializers.Get<TKey>();
    private readonly ISerializer<TValue> _value = Serializers.Get<TValue>();

    public void Write(DataWriter writer, KeyValuePair<TKey, TValue> value)
    {
        _key.Write(writer, value.Key);
        _value.Write(writer, value.Value);
    }

    public KeyValuePair<TKey, TValue> Read(ref DataReader reader) => new(_key.Read(ref reader), _value.Read(ref reader));
}

internal sealed class ValueTupleSerializer<T1, T2> : ISerializer<ValueTuple<T1, T2>>
{
    private readonly ISerializer<T1> _1 = Serializers.Get<T1>();
    private readonly ISerializer<T2> _2 = Serializers.Get<T2>();

    public void Write(DataWriter writer, (T1, T2) value)
    {
        _1.Write(writer, value.Item1);
        _2.Write(writer, value.Item2);
    }

    public (T1, T2) Read(ref DataReader reader) => (_1.Read(ref reader), _2.Read(ref reader));
}

internal sealed class ValueTupleSerializer<T1, T2, T3> : ISerializer<ValueTuple<T1, T2, T3>>
{
    private readonly ISerializer<T1> _1 = Serializers.Get<T1>();
    private readonly ISerializer<T2> _2 = Serializers.Get<T2>();
    private readonly ISerializer<T3> _3 = Serializers.Get<T3>();

    public void Write(DataWriter writer, (T1, T2, T3) value)
    {
        _1.Write(writer, value.Item1);
        _2.Write(writer, value.Item2);
        _3.Write(writer, value.Item3);
    }

    public (T1, T2, T3) Read(ref DataReader reader) => (_1.Read(ref reader), _2.Read(ref reader), _3.Read(ref reader));
}

internal sealed class ValueTupleSerializer<T1, T2, T3, T4> : ISerializer<ValueTuple<T1, T2, T3, T4>>
{
    private readonly ISerializer<T1> _1 = Serializers.Get<T1>();
    private readonly ISerializer<T2> _2 = Serializers.Get<T2>();
    private readonly ISerializer<T3> _3 = Serializers.Get<T3>();
    private readonly ISerializer<T4> _4 = Serializers.Get<T4>();

    public void Write(DataWriter writer, (T1, T2, T3, T4) value)
    {
        _1.Write(writer, value.Item1);
        _2.Write(writer, value.Item2);
        _3.Write(writer, value.Item3);
        _4.Write(writer, value.Item4);
    }

    public (T1, T2, T3, T4) Read(ref DataReader reader) => (_1.Read(ref reader), _2.Read(ref reader), _3.Read(ref reader), _4.Read(ref reader));
}

internal sealed class TupleSerializer<T1, T2> : ISerializer<Tuple<T1, T2>?>
{
    private readonly ValueTupleSerializer<T1, T2> _inner = new();

    public void Write(DataWriter writer, Tuple<T1, T2>? value)
    {
        writer.WriteBoolean(value is not null);
        if (value is not null)
        {
            _inner.Write(writer, (value.Item1, value.Item2));
        }
    }

    public Tuple<T1, T2>? Read(ref DataReader reader) => reader.ReadBoolean() ? _inner.Read(ref reader).ToTuple() : null;
}

internal sealed class TupleSerializer<T1, T2, T3> : ISerializer<Tuple<T1, T2, T3>?>
{
    private readonly ValueTupleSerializer<T1, T2, T3> _inner = new();

    public void Write(DataWriter writer, Tuple<T1, T2, T3>? value)
    {
        writer.WriteBoolean(value is not null);
        if (value is not null)
        {
            _inner.Write(writer, (value.Item1, value.Item2, value.Item3));
        }
    }

    public Tuple<T1, T2, T3>? Read(ref DataReader reader) => reader.ReadBoolean() ? _inner.Read(ref reader).ToTuple() : null;
}
