namespace Weir.Streaming.Functions;

/// <summary>Where a function emits its results.</summary>
public interface ICollector<in T>
{
    /// <summary>Emits a record (with the timestamp of the record being processed, if any).</summary>
    void Collect(T value);
}
