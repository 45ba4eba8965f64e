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
    /// With incremental checkpoints, how long changes may pile up on a key group's last full copy
    /// before it is materialized again, in the background
    /// (<c>state.changelog.periodic-materialize.interval</c>). Default 10 min; greater than 0.
    /// </summary>
    public TimeSpan PeriodicMaterializeInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// With incremental checkpoints, how many deltas may follow a key group's last full copy before
    /// it is materialized again, in the background (<c>state.changelog.max-delta-chain-length</c>,
    /// Weir's own key); a restore replays at most twice as many. Default 8; at least 1.
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
