using System.Diagnostics;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Storage;
using Weir.Streaming.ChannelState;
using Weir.Streaming.Elements;
using Weir.Streaming.Operators;
using Weir.Streaming.Output;
using Weir.Streaming.State;
using Weir.Streaming.State.Changelog;

namespace Weir.Streaming.Tasks;

/// <summary>
/// Takes a subtask's checkpoints (after Flink's SubtaskCheckpointCoordinatorImpl), in steps:
/// <list type="number">
/// <item>operators prepare (flush what belongs before the barrier);</item>
/// <item>the barrier goes downstream on every output channel, behind the records before it;</item>
/// <item>synchronous part, on the task thread: operators' hooks run (sinks pre-commit), keyed
/// state is captured (entries by reference, values copied on write), operator state is encoded;</item>
/// <item>asynchronous part, off the task thread: keyed state files are written, the captures
/// freed, and the coordinator acknowledged, while the task goes on processing records.</item>
/// </list>
/// A failed asynchronous part declines the checkpoint; an abort cancels it and deletes what it wrote.
/// An unaligned barrier goes downstream ahead of the records waiting to be sent, which the
/// checkpoint keeps as output channel state; a task with inputs also keeps the records it reads
/// after its snapshot until each input's barrier (<see cref="CompleteInputState"/>), and acknowledges
/// once those are written too. An aligned barrier with an alignment timeout that has to wait for
/// credit in a writer is sent as an unaligned barrier if it still waits when the timeout passes
/// (Flink's output side of <c>aligned-checkpoint-timeout</c>): the records it overtook in the writer
/// become output channel state, so the acknowledgement waits until each such barrier was sent in
/// line (<see cref="OnOutputProgress"/>) or promoted.
/// With incremental checkpoints (<see cref="TaskDeployment.Changelog"/>) each keyed operator's
/// <see cref="KeyedStateChangelog"/> takes the keyed part of checkpoints (savepoints stay full and
/// self-contained) and owns the shared files it writes.
/// </summary>
internal sealed class SubtaskCheckpointer(
    TaskDeployment deployment,
    IReadOnlyList<StreamOperator> chain,
    IReadOnlyList<IRecordWriter> writers,
    ITaskHost host,
    ICheckpointStore store) : IDisposable
{
    private readonly Dictionary<long, PendingSnapshot> _pending = [];
    private readonly Dictionary<StreamOperator, KeyedStateChangelog> _changelogs = CreateChangelogs(deployment, chain, host, store);
    private readonly Lock _handOver = new();
    private (IRecordWriter Writer, int Channel)[]? _outputChannels;
    private IStreamElementCodec[]? _outputCodecs;
    private bool _disposed;

    /// <summary>
    /// Takes checkpoint <paramref name="barrier"/>'s snapshot and sends the barrier on (if
    /// <paramref name="sendBarrier"/>). With <paramref name="awaitInputState"/> (an unaligned
    /// barrier at a task with inputs), the acknowledgement waits for <see cref="CompleteInputState"/>.
    /// With <paramref name="endsStream"/> (a source at the end of its input) the acknowledgement says the
    /// source ends its stream once a checkpoint from this one on completes.
    /// </summary>
    public void Checkpoint(CheckpointBarrier barrier, bool sendBarrier, bool awaitInputState = false, bool endsStream = false)
    {
        var checkpointId = barrier.CheckpointId;
        var started = Stopwatch.GetTimestamp();

        // 1. Prepare.
        foreach (var op in chain)
        {
            op.PrepareSnapshotPreBarrier(checkpointId);
        }

        // 2. Barrier downstream: in line, or (unaligned) ahead of what waits, which is kept.
        ChannelStateBuffer? output = null;
        WaitingBarrier? waiting = null;
        if (sendBarrier && barrier.Unaligned)
        {
            var channels = OutputChannels;
            output = NewOutputBuffer();
            foreach (var writer in writers)
            {
                writer.Flush();
            }

            for (var i = 0; i < channels.Length; i++)
            {
                output.AddRange(i, channels[i].Writer.SendPriority(channels[i].Channel, barrier));
            }
        }
        else if (sendBarrier)
        {
            foreach (var writer in writers)
            {
                writer.Broadcast(barrier);
            }

            if (barrier.AlignmentTimeout is { } timeout && WaitingChannels(barrier) is { Length: > 0 } channels)
            {
                output = NewOutputBuffer();
                var due = barrier.Timestamp + timeout - host.Clock.GetUtcNow();
                waiting = new WaitingBarrier(barrier, channels, host.Schedule(due > TimeSpan.Zero ? due : TimeSpan.Zero, () => PromoteWaiting(checkpointId)));
            }
        }

        // 3. Synchronous part.
        var captures = new List<(string Uid, int Subtask, IKeyedStateSnapshot? Keyed, IReadOnlyList<OperatorListStateHandle> OperatorState)>(chain.Count);
        try
        {
            foreach (var op in chain)
            {
                op.SnapshotState(checkpointId);
                captures.Add((op.Context.Uid, op.Context.SubtaskIndex, SnapshotKeyedState(op, barrier), op.Context.OperatorState.Snapshot()));
            }
        }
        catch
        {
            Release(captures);
            throw;
        }

        var syncDuration = Stopwatch.GetElapsedTime(started);

        // 4. Asynchronous part.
        var pending = new PendingSnapshot { Output = output, Waiting = waiting, Input = awaitInputState ? new(TaskCreationOptions.RunContinuationsAsynchronously) : null, EndsStream = endsStream };
        _pending[checkpointId] = pending;
        _ = Task.Run(() => CompleteAsync(checkpointId, captures, syncDuration, pending));
    }

    /// <summary>The records an unaligned checkpoint's barriers overtook at this task's inputs, complete: its acknowledgement may go.</summary>
    public void CompleteInputState(long checkpointId, ChannelStateBuffer input)
    {
        if (_pending.TryGetValue(checkpointId, out var pending))
        {
            pending.Input?.TrySetResult(input);
        }
    }

    /// <summary>
    /// The task's writers sent what they could (the task thread): each aligned barrier that waited and
    /// has now been sent in line, on every channel where it waited, overtook nothing.
    /// </summary>
    public void OnOutputProgress()
    {
        foreach (var pending in _pending.Values)
        {
            if (pending.Waiting is { Resolved.Task.IsCompleted: false } waiting && !waiting.Channels.Any(i => OutputChannels[i].Writer.IsWaiting(OutputChannels[i].Channel, waiting.Barrier)))
            {
                ResolveWaiting(pending, promote: false);
            }
        }
    }

    public void NotifyComplete(long checkpointId)
    {
        foreach (var id in _pending.Keys.Where(id => id <= checkpointId).ToArray())
        {
            _pending.Remove(id, out var pending);
            ResolveWaiting(pending!, promote: false);
        }

        foreach (var changelog in _changelogs.Values)
        {
            changelog.NotifyComplete(checkpointId);
        }

        foreach (var op in chain)
        {
            op.NotifyCheckpointComplete(checkpointId);
        }
    }

    public void NotifyAborted(long checkpointId)
    {
        if (_pending.Remove(checkpointId, out var pending))
        {
            ResolveWaiting(pending, promote: false);
            pending.Abort(store);
        }

        foreach (var changelog in _changelogs.Values)
        {
            changelog.NotifyAborted(checkpointId);
        }

        foreach (var op in chain)
        {
            op.NotifyCheckpointAborted(checkpointId);
        }
    }

    public void Dispose()
    {
        lock (_handOver)
        {
            _disposed = true;
        }

        foreach (var pending in _pending.Values)
        {
            pending.Abort(store: null);
        }

        _pending.Clear();
        foreach (var changelog in _changelogs.Values)
        {
            changelog.Dispose();
        }
    }

    private static Dictionary<StreamOperator, KeyedStateChangelog> CreateChangelogs(TaskDeployment deployment, IReadOnlyList<StreamOperator> chain, ITaskHost host, ICheckpointStore store)
    {
        var changelogs = new Dictionary<StreamOperator, KeyedStateChangelog>();
        if (deployment.Changelog is not { } options)
        {
            return changelogs;
        }

        // Restored from another store, the chains' files are out of reach of this job's checkpoints.
        var owned = options with { RestoredStateOwned = options.RestoredStateOwned && deployment.RestoreLocation is null };
        foreach (var op in chain)
        {
            if (op.KeyedStateBackend is { } backend)
            {
                var restored = deployment.RestoreState?.GetValueOrDefault(op.Context.Uid)?.KeyGroups;
                changelogs[op] = new KeyedStateChangelog(backend, store, deployment.JobId, op.Context.Uid, op.Context.SubtaskIndex, owned, host.Clock, restored);
            }
        }

        return changelogs;
    }

    private (IRecordWriter Writer, int Channel)[] OutputChannels => _outputChannels ??= writers.Channels();

    private ChannelStateBuffer NewOutputBuffer() => new(ChannelStateKind.Output, _outputCodecs ??= [.. OutputChannels.Select(c => c.Writer.Codec)]);

    /// <summary>The output channels (numbered as in <see cref="OutputChannels"/>) where <paramref name="barrier"/> waits for credit.</summary>
    private int[] WaitingChannels(CheckpointBarrier barrier)
    {
        var channels = OutputChannels;
        return [.. Enumerable.Range(0, channels.Length).Where(i => channels[i].Writer.IsWaiting(channels[i].Channel, barrier))];
    }

    /// <summary>The alignment timeout of <paramref name="checkpointId"/>'s barrier passed (its timer, on the task thread).</summary>
    private void PromoteWaiting(long checkpointId)
    {
        if (_pending.TryGetValue(checkpointId, out var pending))
        {
            ResolveWaiting(pending, promote: true);
        }
    }

    /// <summary>
    /// Ends the wait for a snapshot's aligned barrier in the writers: with <paramref name="promote"/>,
    /// those still waiting go as unaligned barriers and what they overtook joins the output channel
    /// state; either way the acknowledgement may go.
    /// </summary>
    private void ResolveWaiting(PendingSnapshot pending, bool promote)
    {
        if (pending.Waiting is not { Resolved.Task.IsCompleted: false } waiting)
        {
            return;
        }

        if (promote)
        {
            var channels = OutputChannels;
            foreach (var i in waiting.Channels)
            {
                if (channels[i].Writer.Promote(channels[i].Channel, waiting.Barrier) is { } overtaken)
                {
                    pending.Output!.AddRange(i, overtaken);
                }
            }
        }

        waiting.Timer.Dispose();
        waiting.Resolved.TrySetResult();
    }

    /// <summary>Savepoints are full and self-contained; checkpoints are incremental where a changelog is on.</summary>
    private IKeyedStateSnapshot? SnapshotKeyedState(StreamOperator op, CheckpointBarrier barrier) =>
        barrier.Kind == CheckpointKind.Checkpoint && _changelogs.TryGetValue(op, out var changelog)
            ? changelog.Capture(barrier.CheckpointId)
            : op.KeyedStateBackend?.Snapshot(deployment.SnapshotWriteThreads);

    private async Task CompleteAsync(
        long checkpointId,
        List<(string Uid, int Subtask, IKeyedStateSnapshot? Keyed, IReadOnlyList<OperatorListStateHandle> OperatorState)> captures,
        TimeSpan syncDuration,
        PendingSnapshot pending)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var states = new Dictionary<string, SubtaskStateSnapshot>(StringComparer.Ordinal);
            foreach (var (uid, subtask, keyed, operatorState) in captures)
            {
                KeyedStateHandle? handle = null;
                if (keyed is not null)
                {
                    var path = $"{CheckpointLayout.CheckpointDirectory(deployment.JobId, checkpointId)}/{uid}-{subtask}-{Guid.NewGuid():N}";
                    pending.Written.AddRange(keyed.ExclusiveFiles(path));
                    handle = await keyed.WriteAsync(store, path, pending.Cancellation.Token);
                }

                states[uid] = new SubtaskStateSnapshot(subtask, handle, operatorState);
            }

            if (pending.Output is not null || pending.Input is not null)
            {
                await WriteChannelStateAsync(checkpointId, states, pending);
            }

            if (TryHandOver(captures, pending))
            {
                host.AcknowledgeCheckpoint(checkpointId, new TaskCheckpointAck(states, syncDuration, Stopwatch.GetElapsedTime(started), pending.EndsStream));
            }
        }
        catch (Exception exception) when (!pending.Cancellation.IsCancellationRequested)
        {
            host.DeclineCheckpoint(checkpointId, $"writing the state of subtask {deployment.VertexId}#{deployment.SubtaskIndex} failed: {exception.Message}", alignmentAborted: false);
        }
        catch (Exception)
        {
            // Aborted meanwhile: nothing to report.
        }
        finally
        {
            Release(captures);
            pending.Settled.TrySetResult();
        }
    }

    /// <summary>Writes the channel state (once the inputs' is complete) and gives it to the head operator's snapshot.</summary>
    private async Task WriteChannelStateAsync(long checkpointId, Dictionary<string, SubtaskStateSnapshot> states, PendingSnapshot pending)
    {
        var buffers = new List<ChannelStateBuffer>(2);
        if (pending.Input is { } input)
        {
            buffers.Add(await input.Task.WaitAsync(pending.Cancellation.Token));
        }

        if (pending.Waiting is { } waiting)
        {
            await waiting.Resolved.Task.WaitAsync(pending.Cancellation.Token);
        }

        if (pending.Output is { } output)
        {
            buffers.Add(output);
        }

        var head = chain[0].Context;
        var path = $"{CheckpointLayout.CheckpointDirectory(deployment.JobId, checkpointId)}/{head.Uid}-{head.SubtaskIndex}-channels-{Guid.NewGuid():N}";
        pending.Written.Add(path);
        var segments = await ChannelStateFile.WriteAsync(store, path, buffers, pending.Cancellation.Token);
        if (segments.Count > 0)
        {
            states[head.Uid] = states[head.Uid] with { ChannelState = segments };
        }
    }

    /// <summary>
    /// Hands the written keyed state over to the acknowledgement, unless the checkpoint was aborted
    /// or the task stopped meanwhile. Decided under one lock with <see cref="Dispose"/>, so each
    /// changelog either deletes a cut's new files itself or leaves them to an acknowledgement that
    /// is sent, never both and never neither.
    /// </summary>
    private bool TryHandOver(List<(string, int, IKeyedStateSnapshot? Keyed, IReadOnlyList<OperatorListStateHandle>)> captures, PendingSnapshot pending)
    {
        lock (_handOver)
        {
            if (_disposed || pending.Cancellation.IsCancellationRequested)
            {
                return false;
            }

            foreach (var capture in captures)
            {
                capture.Keyed?.HandOver();
            }

            return true;
        }
    }

    private static void Release(IEnumerable<(string, int, IKeyedStateSnapshot? Keyed, IReadOnlyList<OperatorListStateHandle>)> captures)
    {
        foreach (var capture in captures)
        {
            capture.Keyed?.Dispose();
        }
    }

    private sealed class PendingSnapshot
    {
        public CancellationTokenSource Cancellation { get; } = new();

        /// <summary>Unaligned: the records the barrier overtook in this task's writers (aligned with a timeout: once <see cref="Waiting"/> is resolved).</summary>
        public ChannelStateBuffer? Output { get; init; }

        /// <summary>Aligned with a timeout: the barrier waits for credit in some writers, until sent in line or promoted.</summary>
        public WaitingBarrier? Waiting { get; init; }

        /// <summary>Unaligned, at a task with inputs: the records overtaken at its inputs, once every input's barrier arrived.</summary>
        public TaskCompletionSource<ChannelStateBuffer>? Input { get; init; }

        /// <summary>A source at the end of its input: it ends its stream once this checkpoint completes.</summary>
        public bool EndsStream { get; init; }

        /// <summary>The files the asynchronous part writes, named before it writes them; only it adds to the list.</summary>
        public List<string> Written { get; } = [];

        /// <summary>The asynchronous part is over: every write it started has landed or failed.</summary>
        public TaskCompletionSource Settled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>
        /// Cancels the asynchronous part and, with a <paramref name="store"/>, deletes what it wrote once
        /// it is over (Flink's <c>StateUtil.discardStateFuture</c>). Deleting at once would race writes in
        /// flight: a write past its last cancellation check (a file's rename, a blob's commit) lands after
        /// the delete and leaves a file no checkpoint names in <c>chk-n</c>.
        /// </summary>
        public void Abort(ICheckpointStore? store)
        {
            Waiting?.Timer.Dispose();
            Cancellation.Cancel();
            if (store is null)
            {
                return;
            }

            _ = DeleteWrittenAsync(store);
        }

        private async Task DeleteWrittenAsync(ICheckpointStore store)
        {
            await Settled.Task.ConfigureAwait(false);
            foreach (var path in Written)
            {
                try
                {
                    await store.DeleteAsync(path).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Best effort: a file left in chk-n is named by no checkpoint, as one of a task that died.
                }
            }
        }
    }

    /// <summary>An aligned barrier that waited for credit on some output <see cref="Channels"/> when it was sent; <see cref="Timer"/> promotes it at its alignment timeout.</summary>
    private sealed record WaitingBarrier(CheckpointBarrier Barrier, int[] Channels, IDisposable Timer)
    {
        public TaskCompletionSource Resolved { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
