namespace Weir.Streaming.State.Changelog;

/// <summary>
/// Decides, at each cut, which key groups to materialize (pure: chains, time and settings in, key
/// group indexes out).
/// <list type="bullet">
/// <item>Background: when no materialization is running, the key groups that are due — a chain of
/// <c>max-delta-chain-length</c> deltas, or changes older than <c>periodic-materialize.interval</c>
/// since the last materialization — longest chains first, at most a quarter of the subtask's key
/// groups at a time (plus any whose chain is half as long again as allowed). Spreading full
/// uploads over cuts keeps what is stored near the live state: a materialization replaces only a
/// quarter of it, and the files it supersedes go as soon as no retained checkpoint needs them.</item>
/// <item>In the checkpoint itself (last resort, it makes that checkpoint upload full key groups):
/// key groups whose chain cannot go on (<see cref="KeyGroupChain.NeedsMaterialization"/>), and those
/// whose chain reached twice the allowed length because background materializations lag. So a
/// restore never replays more than 2 × <c>max-delta-chain-length</c> deltas per key group.</item>
/// </list>
/// </summary>
internal static class MaterializationPolicy
{
    /// <summary>Key groups the checkpoint at this cut materializes itself, instead of writing their deltas.</summary>
    public static IReadOnlySet<int> InCheckpoint(IReadOnlyList<KeyGroupChain> chains, int maxDeltaChainLength)
    {
        var chosen = new HashSet<int>();
        for (var index = 0; index < chains.Count; index++)
        {
            var chain = chains[index];
            if (chain.NeedsMaterialization || chain.Deltas.Count >= 2 * maxDeltaChainLength)
            {
                chosen.Add(index);
            }
        }

        return chosen;
    }

    /// <summary>Key groups a background materialization started at this cut covers (empty: none is due).</summary>
    public static IReadOnlyList<int> Background(IReadOnlyList<KeyGroupChain> chains, DateTimeOffset now, TimeSpan interval, int maxDeltaChainLength)
    {
        var due = new List<int>();
        var urgent = 0;
        for (var index = 0; index < chains.Count; index++)
        {
            var chain = chains[index];
            if (chain.Deltas.Count >= maxDeltaChainLength || (chain.Deltas.Count > 0 && now - chain.MaterializedAt >= interval))
            {
                due.Add(index);
                if (chain.Deltas.Count >= maxDeltaChainLength + (maxDeltaChainLength + 1) / 2)
                {
                    urgent++;
                }
            }
        }

        var budget = Math.Max(urgent, (chains.Count + 3) / 4);
        return due.Count <= budget
            ? due
            : [.. due.OrderByDescending(i => chains[i].Deltas.Count).ThenBy(i => chains[i].MaterializedAt).ThenBy(i => i).Take(budget).Order()];
    }
}
