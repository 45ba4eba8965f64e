using Weir.Checkpointing.Metadata;
using Weir.Storage;

namespace Weir.Streaming.State.Changelog;

/// <summary>
/// An incremental checkpoint of one keyed operator subtask between its two parts: the changes
/// serialized at the cut (and, rarely, key groups captured for a materialization the checkpoint does
/// itself), and every key group's chain at the cut. The asynchronous part writes the new files
/// to <c>shared/</c>, waits for earlier files of the chains that are still being written, and
/// describes each key group as its chain's segments.
/// </summary>
internal sealed class ChangelogSnapshot(
    KeyGroupRange range,
    (SerializedDelta Changes, ChangelogFile File)? delta,
    IReadOnlyList<(KeyedStateSnapshot Snapshot, ChangelogFile File)> materializations,
    IReadOnlyList<(int KeyGroup, ChangelogFile[] Chain)> chains,
    PendingCut cut,
    CancellationToken shutdown) : IKeyedStateSnapshot
{
    private int _disposed;

    /// <summary>Bytes of the delta file, once written (for figures).</summary>
    public long DeltaBytes { get; private set; }

    /// <summary>Bytes of the materialization the checkpoint wrote itself, once written.</summary>
    public long MaterializedBytes { get; private set; }

    /// <inheritdoc />
    /// <remarks>None: deltas and materializations go to <c>shared/</c>, whatever happens to this checkpoint.</remarks>
    public IReadOnlyList<string> ExclusiveFiles(string exclusivePath) => [];

    /// <inheritdoc />
    /// <remarks>
    /// The new files are written whatever happens to this checkpoint (<paramref name="cancellationToken"/>
    /// only stops waiting): the changes are in no other file, and later checkpoints name them.
    /// </remarks>
    public async Task<KeyedStateHandle> WriteAsync(ICheckpointStore store, string exclusivePath, CancellationToken cancellationToken)
    {
        if (delta is var (changes, deltaFile))
        {
            try
            {
                var written = await changes.WriteAsync(store, deltaFile.Path, shutdown);
                DeltaBytes = written.Sum(g => g.Segments[0].Length);
                deltaFile.Complete(written);
            }
            catch (Exception exception)
            {
                deltaFile.Fail(exception);
                throw;
            }
            finally
            {
                changes.Release();
            }
        }

        foreach (var (materialization, file) in materializations)
        {
            try
            {
                var handle = await materialization.WriteAsync(store, file.Path, shutdown);
                MaterializedBytes += handle.StateSize;
                file.Complete(handle.KeyGroups);
            }
            catch (Exception exception)
            {
                file.Fail(exception);
                throw;
            }
            finally
            {
                materialization.Dispose();
            }
        }

        var keyGroups = new List<KeyGroupState>(chains.Count);
        foreach (var (keyGroup, chain) in chains)
        {
            var segments = new StateSegment[chain.Length];
            for (var i = 0; i < chain.Length; i++)
            {
                var written = await chain[i].Written.WaitAsync(cancellationToken);
                segments[i] = written[keyGroup];
            }

            keyGroups.Add(new KeyGroupState(keyGroup, segments));
        }

        return new KeyedStateHandle(range, keyGroups);
    }

    /// <inheritdoc />
    public void HandOver() => cut.MarkAcknowledged();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Not written (the synchronous part failed for another operator, or writing stopped):
        // later cuts must not wait for these files, and the next checkpoint repairs the chains.
        var notWritten = new InvalidOperationException("The checkpoint that should have written this file did not write it.");
        if (delta is var (changes, deltaFile))
        {
            deltaFile.Fail(notWritten);
            changes.Release();
        }

        foreach (var (materialization, file) in materializations)
        {
            file.Fail(notWritten);
            materialization.Dispose();
        }
    }
}
