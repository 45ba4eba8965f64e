namespace Weir.Streaming.Tasks;

/// <summary>
/// Incremental (changelog) checkpoints of a subtask's keyed state (<c>execution.checkpointing.incremental</c>):
/// each checkpoint writes the changes since the previous one to <c>shared/</c> and references the
/// chain of earlier files; materializations (full copies of key groups, also in <c>shared/</c>)
/// run in the background and bound the chains.
/// </summary>
/// <param name="PeriodicMaterializeInterval">A key group with changes is materialized at least this often (<c>state.changelog.periodic-materialize.interval</c>).</param>
/// <param name="MaxDeltaChainLength">A key group is materialized once this many deltas follow its materialization (<c>state.changelog.max-delta-chain-length</c>).</param>
/// <param name="RestoredStateOwned">
/// True if the restored checkpoint's files belong to this job (its own checkpoint, or one restored
/// in CLAIM mode from the same store): checkpoints may go on referencing them. False (NO_CLAIM, or
/// another store): the first checkpoint materializes every key group into this job's own files.
/// </param>
public sealed record ChangelogOptions(TimeSpan PeriodicMaterializeInterval, int MaxDeltaChainLength, bool RestoredStateOwned);
