using Weir.Checkpointing.Metadata;

namespace Weir.Streaming.State.Changelog;

/// <summary>
/// A file in <c>shared/</c> that a subtask's chains use: a delta (the changes of one cut, one Delta
/// segment per changed key group) or a materialization (Full segments), and who owns it.
///
/// Ownership, after Flink's TaskChangelogRegistry: the subtask owns a file it wrote until a
/// checkpoint naming it completes; from then on the coordinator's shared-state registry does, and
/// the subtask never deletes it (<see cref="Registered"/>). A file the subtask owns is deleted by the
/// subtask once no chain and no unresolved checkpoint names it (it was superseded, or only aborted
/// checkpoints named it). Everything but <see cref="Written"/> is
/// read and written on the task thread only.
/// </summary>
internal sealed class ChangelogFile
{
    private readonly TaskCompletionSource<IReadOnlyDictionary<int, StateSegment>>? _writing;

    /// <summary>A file this subtask is about to write.</summary>
    public ChangelogFile(string path, long cut)
    {
        Path = path;
        Cut = cut;
        _writing = new TaskCompletionSource<IReadOnlyDictionary<int, StateSegment>>(TaskCreationOptions.RunContinuationsAsynchronously);
        Written = _writing.Task;
    }

    /// <summary>A file of a restored checkpoint: written, and owned by the coordinator.</summary>
    public ChangelogFile(string path, IReadOnlyDictionary<int, StateSegment> segments)
    {
        Path = path;
        Cut = long.MinValue;
        Written = Task.FromResult(segments);
        Registered = true;
    }

    public string Path { get; }

    /// <summary>The checkpoint id of the cut whose state or changes the file holds.</summary>
    public long Cut { get; }

    /// <summary>The file's segments by key group, once it is written; faulted if writing failed.</summary>
    public Task<IReadOnlyDictionary<int, StateSegment>> Written { get; }

    /// <summary>A completed checkpoint names it (or may: see <see cref="KeyedStateChangelog.NotifyComplete"/>): the coordinator owns it.</summary>
    public bool Registered { get; set; }

    /// <summary>Key groups whose current chain uses the file.</summary>
    public int ChainReferences { get; set; }

    /// <summary>Checkpoints cut but not yet completed or aborted whose state names the file.</summary>
    public int PendingReferences { get; set; }

    public void Complete(IReadOnlyList<KeyGroupState> groups) =>
        _writing!.TrySetResult(groups.ToDictionary(g => g.KeyGroup, g => g.Segments[0]));

    public void Fail(Exception exception) => _writing!.TrySetException(exception);

    public override string ToString() => Path;
}
