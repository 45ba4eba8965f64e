namespace Weir.Streaming.State.Changelog;

/// <summary>
/// Decides, at each cut, which key groups to materialize (pure: chains, counts, time and settings
/// in, key group indexes out).
///
/// Key groups are materialized in up to four fixed groups of neighbouring key groups, each
/// group's materialization one file. Files are kept whole as long as any chain names them, so
/// aligning materializations to the same groups lets each one free exactly the files it
/// supersedes: at any time the store holds about the live state, the deltas of the chains, and
/// one group being rewritten — a quarter of the state, not a second copy of it.
/// <list type="bullet">
/// <item>Background (one group at a time, while the task goes on): a group is due when one of its
/// key groups has a chain of <c>max-delta-chain-length</c> deltas, or changes older than
/// <c>periodic-materialize.interval</c> since its last materialization; the longest chain first.
/// Every key group of the group with a chain is rewritten, so the group's old files are freed.</item>
/// <item>In the checkpoint itself: key groups whose chain cannot go on
/// (<see cref="KeyGroupChain.NeedsMaterialization"/>); those whose chain reached twice the allowed
/// length because background materializations lag (so a restore never replays more than
/// 2 × <c>max-delta-chain-length</c> deltas); and those whose changes since the last cut touch at
/// least half their entries, and many of them (a bulk load: the delta would be as large as a
/// full copy, so the checkpoint writes the full copy and the chain starts over; small key groups
/// stay in the delta file rather than add files to every checkpoint).</item>
/// </list>
/// </summary>
internal static class MaterializationPolicy
{
    /// <summary>How many groups the key groups of a subtask are split into.</summary>
    public const int MaxGroups = 4;

    /// <summary>The fewest changed keys of a key group that count as a bulk load.</summary>
    public const int BulkMinimumChanges = 256;

    /// <summary>The group of key group <paramref name="index"/> out of <paramref name="count"/>.</summary>
    public static int GroupOf(int index, int count) => (int)((long)index * Math.Min(MaxGroups, count) / count);

    /// <summary>Key groups the checkpoint at this cut materializes itself, instead of writing their deltas.</summary>
    /// <param name="chains">Every key group's chain, by index.</param>
    /// <param name="changes">Changed keys per key group since the last cut.</param>
    /// <param name="entries">Entries per key group now.</param>
    /// <param name="maxDeltaChainLength">The allowed chain length.</param>
    public static IReadOnlySet<int> InCheckpoint(IReadOnlyList<KeyGroupChain> chains, IReadOnlyList<int> changes, IReadOnlyList<int> entries, int maxDeltaChainLength)
    {
        var chosen = new HashSet<int>();
        for (var index = 0; index < chains.Count; index++)
        {
            var chain = chains[index];
            if (chain.NeedsMaterialization
                || chain.Deltas.Count >= 2 * maxDeltaChainLength
                || (changes[index] >= BulkMinimumChanges && 2L * changes[index] >= entries[index]))
            {
                chosen.Add(index);
            }
        }

        return chosen;
    }

    /// <summary>Key groups a background materialization started at this cut covers (empty: none is due).</summary>
    public static IReadOnlyList<int> Background(IReadOnlyList<KeyGroupChain> chains, DateTimeOffset now, TimeSpan interval, int maxDeltaChainLength)
    {
        var groups = Math.Min(MaxGroups, chains.Count);
        var longest = new int[groups];
        var due = new bool[groups];
        var oldest = Enumerable.Repeat(DateTimeOffset.MaxValue, groups).ToArray();
        for (var index = 0; index < chains.Count; index++)
        {
            var chain = chains[index];
            var group = GroupOf(index, chains.Count);
            longest[group] = Math.Max(longest[group], chain.Deltas.Count);
            if (chain.Deltas.Count > 0 && chain.MaterializedAt < oldest[group])
            {
                oldest[group] = chain.MaterializedAt;
            }

            due[group] |= chain.Deltas.Count >= maxDeltaChainLength || (chain.Deltas.Count > 0 && now - chain.MaterializedAt >= interval);
        }

        var chosen = Enumerable.Range(0, groups).Where(g => due[g]).OrderByDescending(g => longest[g]).ThenBy(g => oldest[g]).ThenBy(g => g).FirstOrDefault(-1);
        return chosen < 0
            ? []
            : [.. Enumerable.Range(0, chains.Count).Where(i => GroupOf(i, chains.Count) == chosen && !chains[i].IsEmpty)];
    }
}
