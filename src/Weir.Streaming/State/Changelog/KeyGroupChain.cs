namespace Weir.Streaming.State.Changelog;

/// <summary>
/// What one key group's state is made of in the next checkpoint: its latest materialization (or
/// none: the key group was empty then) and the deltas since, in order. Task thread only.
/// </summary>
internal sealed class KeyGroupChain(DateTimeOffset materializedAt)
{
    /// <summary>The materialization holding a Full segment of this key group, or null if it was empty.</summary>
    public ChangelogFile? Base { get; private set; }

    /// <summary>The cut the base reflects; deltas of later cuts follow it.</summary>
    public long BaseCut { get; private set; } = long.MinValue;

    /// <summary>The deltas since the base, oldest first.</summary>
    public List<ChangelogFile> Deltas { get; } = [];

    /// <summary>When the key group was last materialized (or the subtask started).</summary>
    public DateTimeOffset MaterializedAt { get; private set; } = materializedAt;

    /// <summary>The chain cannot go on (it names files this job does not own, or one failed to write): the next checkpoint materializes the key group.</summary>
    public bool NeedsMaterialization { get; set; }

    /// <summary>Files of the chain, base first.</summary>
    public IEnumerable<ChangelogFile> Files => Base is null ? Deltas : Deltas.Prepend(Base);

    public bool IsEmpty => Base is null && Deltas.Count == 0;

    public void AddDelta(ChangelogFile delta)
    {
        Deltas.Add(delta);
        delta.ChainReferences++;
    }

    /// <summary>Starts the chain again from a materialization of <paramref name="cut"/>: deltas up to that cut are dropped.</summary>
    public void Rebase(ChangelogFile? materialization, long cut, DateTimeOffset materializedAt)
    {
        if (Base is not null)
        {
            Base.ChainReferences--;
        }

        foreach (var delta in Deltas.Where(d => d.Cut <= cut))
        {
            delta.ChainReferences--;
        }

        Deltas.RemoveAll(d => d.Cut <= cut);
        Base = materialization;
        BaseCut = cut;
        MaterializedAt = materializedAt;
        NeedsMaterialization = false;
        if (materialization is not null)
        {
            materialization.ChainReferences++;
        }
    }

    /// <summary>Takes over a restored chain (its files are the coordinator's).</summary>
    public void Restore(ChangelogFile? baseFile, IEnumerable<ChangelogFile> deltas)
    {
        Base = baseFile;
        if (baseFile is not null)
        {
            baseFile.ChainReferences++;
        }

        foreach (var delta in deltas)
        {
            AddDelta(delta);
        }
    }
}
