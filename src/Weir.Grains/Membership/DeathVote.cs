namespace Weir.Grains.Membership;

/// <summary>
/// The decision of one suspicion, in Orleans's model: the voter adds (or renews) its vote on the
/// suspect's row; votes older than the expiration no longer count; when the fresh votes reach
/// the number required, the suspect is declared dead. The number required is
/// <c>NumVotesForDeathDeclaration</c>, but at most half the active silos whose heartbeats are
/// fresh (rounded up), so that in a cluster of two the survivor's vote is enough.
/// A pure function: the agent reads the table, asks, and writes what it says.
/// </summary>
internal static class DeathVote
{
    /// <summary>What to write: the suspect's votes after this one, and whether it is dead.</summary>
    public readonly record struct Decision(IReadOnlyList<SuspectVote> Votes, bool DeclareDead, int FreshVotes, int RequiredVotes);

    public static Decision Decide(
        MembershipEntry suspect,
        SiloAddress voter,
        DateTimeOffset now,
        IReadOnlyList<MembershipEntry> table,
        int numVotesForDeathDeclaration,
        TimeSpan voteExpiration,
        TimeSpan iAmAliveStaleAfter)
    {
        var votes = suspect.SuspectTimes
            .Where(v => !v.Voter.Equals(voter) && now - v.Time < voteExpiration)
            .Append(new SuspectVote(voter, now))
            .OrderByDescending(v => v.Time)
            .Take(Math.Max(numVotesForDeathDeclaration, 1))
            .ToList();
        var activeNonStale = table.Count(e => e.Status == SiloStatus.Active && now - e.IAmAliveTime <= iAmAliveStaleAfter);
        var required = Math.Max(1, Math.Min(numVotesForDeathDeclaration, (activeNonStale + 1) / 2));
        return new Decision(votes, votes.Count >= required, votes.Count, required);
    }
}
