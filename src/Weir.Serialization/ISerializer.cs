namespace Weir.Serialization;

/// <summary>Encodes and decodes values of one type. Implementations are stateless and thread-safe.</summary>
public interface ISerializer<T>
{
    /// <summary>Appends <paramref name="value"/> to <paramref name="writer"/>.</summary>
    void Write(DataWriter writer, T value);

    /// <summary>Reads a value written by <see cref="Write"/>.</summary>
    T Read(ref DataReader reader);
}
