using Weir.Checkpointing.Configuration.Parsing;
using K = Weir.Checkpointing.Configuration.ConfigurationKeys;

namespace Weir.Checkpointing.Configuration;

/// <summary>The state backend and its changelog: <c>state.*</c> keys. Immutable; validated by <see cref="WeirOptions.Parse(Microsoft.Extensions.Configuration.IConfiguration)"/>.</summary>
public sealed class StateOptions
{
    /// <summary>The only state backend Weir has: keyed state on the heap, in hash maps.</summary>
    public const string HashMapBackend = "hashmap";

    /// <summary>The state backend (<c>state.backend.type</c>). Only "hashmap" is available.</summary>
    public string BackendType { get; init; } = HashMapBackend;

    /// <summary>
    /// How often the changelog is materialized into a full snapshot
    /// (<c>state.changelog.periodic-materialize.interval</c>). Default 10 min; greater than 0.
    /// </summary>
    public TimeSpan PeriodicMaterializeInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How many incremental deltas may pile up on a full snapshot before the next checkpoint
    /// materializes one (<c>state.changelog.max-delta-chain-length</c>, Weir's own key). Default 8; at least 1.
    /// </summary>
    public int MaxDeltaChainLength { get; init; } = 8;

    internal static StateOptions Read(SettingReader reader)
    {
        var defaults = new StateOptions();
        var backend = reader.Raw(K.StateBackendType);
        if (backend is not null && !string.Equals(backend.Trim(), HashMapBackend, StringComparison.OrdinalIgnoreCase))
        {
            reader.Fail(K.StateBackendType, $"only {HashMapBackend} is available");
        }

        return new StateOptions
        {
            BackendType = HashMapBackend,
            PeriodicMaterializeInterval = reader.Duration(K.PeriodicMaterializeInterval, defaults.PeriodicMaterializeInterval, TimeSpan.Zero, exclusive: true),
            MaxDeltaChainLength = reader.Integer(K.MaxDeltaChainLength, defaults.MaxDeltaChainLength, minimum: 1),
        };
    }

    internal IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        yield return new(K.StateBackendType, BackendType);
        yield return new(K.PeriodicMaterializeInterval, SettingFormat.Of(PeriodicMaterializeInterval));
        yield return new(K.MaxDeltaChainLength, SettingFormat.Of(MaxDeltaChainLength));
    }
}
