using Weir.Checkpointing.Configuration.Parsing;
using K = Weir.Checkpointing.Configuration.ConfigurationKeys;

namespace Weir.Checkpointing.Configuration;

/// <summary>Which checkpoint or savepoint a job starts from: <c>execution.state-recovery.*</c>. Immutable; validated by <see cref="WeirOptions.Parse(Microsoft.Extensions.Configuration.IConfiguration)"/>.</summary>
public sealed class StateRecoveryOptions
{
    internal static readonly FlinkChoice<RecoveryClaimMode> ClaimModes = new(
        (RecoveryClaimMode.NoClaim, "NO_CLAIM", []),
        (RecoveryClaimMode.Claim, "CLAIM", []));

    internal const string PathAllowed = "expected a checkpoint or savepoint path, a file:// URI or an http(s) URL";

    /// <summary>
    /// The checkpoint or savepoint to restore from (<c>execution.state-recovery.path</c>): a path,
    /// a file:// URI or an http(s) URL. Null, the default, starts without state.
    /// </summary>
    public string? Path { get; init; }

    /// <summary>Whether the job takes ownership of the restored checkpoint's files (<c>execution.state-recovery.claim-mode</c>). Default NO_CLAIM.</summary>
    public RecoveryClaimMode ClaimMode { get; init; } = RecoveryClaimMode.NoClaim;

    internal static StateRecoveryOptions Read(SettingReader reader) => new()
    {
        Path = reader.Location(K.StateRecoveryPath, defaultValue: null, PathAllowed, optional: true),
        ClaimMode = reader.Choice(K.StateRecoveryClaimMode, RecoveryClaimMode.NoClaim, ClaimModes),
    };

    internal IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        yield return new(K.StateRecoveryPath, Path);
        yield return new(K.StateRecoveryClaimMode, ClaimModes.NameOf(ClaimMode));
    }
}
