namespace Weir.Checkpointing.Configuration;

/// <summary>Who owns the files of the checkpoint a job is restored from (<c>execution.state-recovery.claim-mode</c>).</summary>
public enum RecoveryClaimMode
{
    /// <summary>NO_CLAIM: the restored checkpoint stays the user's; the job's first checkpoint is a full one and never references its files.</summary>
    NoClaim,

    /// <summary>CLAIM: the job takes ownership of the restored checkpoint and deletes it once it is no longer retained.</summary>
    Claim,
}
