using Weir.Checkpointing.Configuration;
using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Storage;
using Weir.Streaming.Barriers;
using Weir.Streaming.ChannelState;
using Weir.Streaming.Elements;
using Weir.Streaming.Graph;
using Weir.Streaming.Operators;
using Weir.Streaming.Output;
using Weir.Streaming.State;

namespace Weir.Streaming.Tasks;

/// <summary>
/// One subtask of a job vertex: its operator chain, input gate and record writers, run on the
/// mailbox model. The host calls <see cref="RunDefaultAction"/> whenever input or credit may
/// be available, and delivers mail (checkpoint triggers, notifications, cancel) between steps.
///
/// A default action step: send what waits for credit; if something still waits, stop (backpressure);
/// otherwise process input (a source polls instead) for about <see cref="StepBudget"/>. Barriers go
/// to the barrier handler; when it triggers checkpoint n the task takes its snapshot
/// (<see cref="SubtaskCheckpointer"/>). Not thread-safe: every method runs on the task's own
/// thread (its grain's activation).
///
/// Steps are short, by time rather than by element, because everything else waits for them: mail
/// to this task (a checkpoint trigger) waits for the step running, and other activations (the
/// coordinator, other subtasks, their acknowledgements) wait for the thread, which the activation
/// gives up only after a number of steps. A batch a slow chain cannot finish within one step is
/// continued in the next step; nothing else is read from the input meanwhile.
///
/// Unaligned checkpoints (<see cref="TaskDeployment.Unaligned"/>): the first barrier of checkpoint
/// n, on any channel, triggers n at once; no channel is blocked. Until n's barrier has come on
/// every channel, an <see cref="InputChannelRecorder"/> keeps the records n's snapshot misses. A
/// task restored from an unaligned checkpoint first processes the input records it kept, and
/// sends the output records it kept before anything else. With an alignment timeout
/// (<see cref="TaskDeployment.AlignedCheckpointTimeout"/>) barriers start aligned; a channel turns
/// one that waited too long into an unaligned barrier, and a task aligning that checkpoint then
/// takes it unaligned: the channels that delivered its barrier owe it nothing, the others are
/// recorded until theirs (promoted too, or in line).
/// </summary>
public sealed class StreamTask : ITaskServices
{
    /// <summary>How long one default-action step processes input (wall clock; the task's <see cref="TimeProvider"/> may be simulated).</summary>
    internal static readonly TimeSpan StepBudget = TimeSpan.FromMilliseconds(0.1);

    /// <summary>Records processed between two looks at the clock.</summary>
    private const int RecordsPerSlice = 128;

    /// <summary>Records a source emits per poll; a step polls until its budget is spent.</summary>
    private const int RecordsPerPoll = 256;

    private static readonly long StepBudgetTicks = (long)(StepBudget.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);

    private readonly TaskDeployment _deployment;
    private readonly JobVertex _vertex;
    private readonly IReadOnlyList<InputBinding> _inputs;
    private readonly IReadOnlyDictionary<int, IOutputChannel[]> _outputs;
    private readonly ITaskHost _host;
    private readonly ICheckpointStore _restoreStore;
    private readonly Dictionary<long, CheckpointBarrier> _barriers = [];
    private readonly List<StreamOperator> _chain = [];
    private readonly List<IRecordWriter> _writers = [];
    private IBatchInput? _head;
    private ISourceOperator? _source;
    private IBarrierHandler? _barrierHandler;
    private InputGate? _gate;
    private WatermarkValve? _valve;
    private SubtaskCheckpointer? _checkpointer;
    private readonly Queue<(int Channel, RecordBatch Batch)> _replay = new();
    private InputChannelRecorder? _recording;
    private IStreamElementCodec[]? _inputCodecs;
    private bool _yielding;
    private long _lastFlush;
    private bool _endOfData;
    private long? _finalCheckpoint;

    // The batch being processed across steps: records [_batchNext, Count) are still to do.
    private RecordBatch? _batch;
    private int _batchNext;
    private int _batchInput;

    public StreamTask(
        TaskDeployment deployment,
        JobGraph graph,
        IReadOnlyList<InputBinding> inputs,
        IReadOnlyDictionary<int, IOutputChannel[]> outputs,
        ITaskHost host,
        ICheckpointStore store,
        ICheckpointStore? restoreStore = null)
    {
        _deployment = deployment;
        _vertex = graph.Vertex(deployment.VertexId);
        _inputs = inputs;
        _outputs = outputs;
        _host = host;
        Store = store;
        _restoreStore = restoreStore ?? store;
    }

    public TaskState State { get; private set; } = TaskState.Created;

    /// <summary>Records read from input channels.</summary>
    public long RecordsIn { get; private set; }

    /// <summary>Records a source emitted, or records this task's chain sent downstream.</summary>
    public long RecordsOut => _source is not null ? _chain.OfType<ISourceMetrics>().Sum(s => s.RecordsOut) : _writers.Sum(w => w.RecordsOut);

    public string Name => $"{_vertex.Name} ({_deployment.SubtaskIndex + 1}/{_vertex.Parallelism})";

    internal ICheckpointStore Store { get; }

    TimeProvider ITaskServices.Clock => _host.Clock;

    IDisposable ITaskServices.Schedule(TimeSpan delay, Action action) => _host.Schedule(delay, action);

    /// <summary>
    /// Between two timers of a firing: takes the unaligned barriers first in the input channels, so
    /// the checkpoint is taken between two timers instead of after the last. Not within a record
    /// batch (its unprocessed records would be in neither the snapshot nor the channel state), nor
    /// while taking barriers already.
    /// </summary>
    void ITaskServices.YieldToBarriers()
    {
        if (!_deployment.Unaligned || _batch is not null || _gate is null || _yielding || State != TaskState.Running)
        {
            return;
        }

        _yielding = true;
        try
        {
            for (var channel = 0; channel < _inputs.Count; channel++)
            {
                while (!_gate.IsFinished(channel) && !_barrierHandler!.IsBlocked(channel) && _inputs[channel].Channel.TryReadPriority(out var element))
                {
                    Handle(element, channel);
                }
            }
        }
        finally
        {
            _yielding = false;
        }
    }

    /// <summary>Creates and wires the operators, restores their state, and opens them (tail first).</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        var restore = _deployment.RestoreState;
        foreach (var transformation in _vertex.Chain)
        {
            var op = transformation.CreateOperator();
            var restored = restore?.GetValueOrDefault(transformation.Uid!);
            var operatorState = new OperatorStateStore(restored?.ListStates ?? new Dictionary<string, IReadOnlyList<byte[]>>());
            op.Setup(new OperatorContext(transformation.Uid!, transformation.Name, _deployment.SubtaskIndex, _vertex.Parallelism, _vertex.MaxParallelism, operatorState, restored is not null, this));
            op.CreateKeyedStateBackend();
            if (restored is not null && op.KeyedStateBackend is { } backend)
            {
                await KeyedStateRestore.RestoreAsync(_restoreStore, backend, restored.KeyGroups, cancellationToken);
            }

            _chain.Add(op);
        }

        for (var i = 0; i < _chain.Count - 1; i++)
        {
            _vertex.Chain[i].ConnectChained(_chain[i], _chain[i + 1]);
        }

        _writers.AddRange(_vertex.Chain[^1].ConnectNetwork(_chain[^1], _vertex.Outputs.Select(NetworkOutput).ToArray()));
        _source = _chain[0] as ISourceOperator;
        _head = _chain[0] as IBatchInput;
        if (_inputs.Count > 0)
        {
            _barrierHandler = _deployment.Mode == CheckpointingMode.ExactlyOnce ? new BarrierAligner(_inputs.Count) : new BarrierTracker(_inputs.Count);
            _gate = new InputGate(_inputs, _barrierHandler);
            _valve = new WatermarkValve(_inputs.Count);
            foreach (var input in _inputs)
            {
                input.Channel.SetDataListener(_host.RequestDefaultAction);
            }
        }

        await RestoreChannelStateAsync(cancellationToken);
        _checkpointer = new SubtaskCheckpointer(_deployment, _chain, _writers, _host, Store);
        for (var i = _chain.Count - 1; i >= 0; i--)
        {
            _chain[i].Open();
        }

        _lastFlush = _host.Clock.GetTimestamp();
        State = TaskState.Running;
    }

    /// <summary>One step of the mailbox's default action; true if it can make more progress now, false to wait for input or credit.</summary>
    public bool RunDefaultAction()
    {
        if (State is not (TaskState.Running or TaskState.Finishing))
        {
            return false;
        }

        try
        {
            var sent = TrySendPending();
            _checkpointer?.OnOutputProgress();
            if (!sent)
            {
                return false;
            }

            if (State == TaskState.Finishing)
            {
                // Everything is sent: close the operators (a failure here fails the task, as in Flink).
                foreach (var op in _chain)
                {
                    op.Close();
                }

                State = TaskState.Finished;
                _host.ReportFinished();
                return false;
            }

            var result = _source is not null ? PollSource() : ProcessInput();
            FlushIfBufferTimeoutElapsed();
            return result;
        }
        catch (Exception exception)
        {
            Fail(exception);
            return false;
        }
    }

    /// <summary>Mail from the coordinator to a source task: take checkpoint <paramref name="checkpointId"/> and emit its barrier.</summary>
    public void TriggerCheckpoint(long checkpointId, DateTimeOffset timestamp, CheckpointKind kind)
    {
        if (State is not (TaskState.Running or TaskState.Finishing or TaskState.Finished))
        {
            _host.DeclineCheckpoint(checkpointId, $"task {Name} is {State}", alignmentAborted: false);
            return;
        }

        if (_endOfData)
        {
            _finalCheckpoint ??= checkpointId;
        }

        var unaligned = _deployment.Unaligned && kind == CheckpointKind.Checkpoint;
        var barrier = unaligned && _deployment.AlignedCheckpointTimeout > TimeSpan.Zero
            ? new CheckpointBarrier(checkpointId, timestamp, kind, unaligned: false, _deployment.AlignedCheckpointTimeout)
            : new CheckpointBarrier(checkpointId, timestamp, kind, unaligned);
        Guard(() => _checkpointer!.Checkpoint(barrier, sendBarrier: State == TaskState.Running, endsStream: _endOfData));
    }

    /// <summary>Mail: checkpoint <paramref name="checkpointId"/> completed.</summary>
    public void NotifyCheckpointComplete(long checkpointId) => Guard(() =>
    {
        _checkpointer?.NotifyComplete(checkpointId);
        if (_finalCheckpoint <= checkpointId)
        {
            // Everything this source emitted is in a completed checkpoint: now the stream may end.
            EndInput();
            _host.RequestDefaultAction();
        }
    });

    /// <summary>Mail: checkpoint <paramref name="checkpointId"/> was aborted.</summary>
    public void NotifyCheckpointAborted(long checkpointId) => Guard(() =>
    {
        if (_recording?.CheckpointId == checkpointId)
        {
            _recording = null;
        }

        if (_barrierHandler?.OnAbortFromCoordinator(checkpointId) is { AbortedCheckpoint: { } aborted })
        {
            Broadcast(new CancelCheckpointMarker(aborted));
        }

        _checkpointer?.NotifyAborted(checkpointId);
    });

    /// <summary>Stops the task: no more processing; operators are closed; pending snapshots are dropped.</summary>
    public void Cancel()
    {
        if (State is TaskState.Finished)
        {
            // Closed already; what the checkpointer still holds (a background materialization) goes.
            _checkpointer?.Dispose();
            return;
        }

        if (State is TaskState.Canceled or TaskState.Failed)
        {
            return;
        }

        State = TaskState.Canceled;
        _checkpointer?.Dispose();
        CloseOperators();
    }

    private bool PollSource()
    {
        if (State != TaskState.Running || _endOfData)
        {
            return false;
        }

        var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + StepBudgetTicks;
        var budget = Math.Min(RecordsPerPoll, _deployment.Options.BatchSize);
        Functions.SourceStatus status;
        do
        {
            status = _source!.Poll(budget);
        }
        while (status.State == Functions.SourceState.MoreAvailable && State == TaskState.Running && !HasPending() && System.Diagnostics.Stopwatch.GetTimestamp() < deadline);

        switch (status.State)
        {
            case Functions.SourceState.MoreAvailable:
                return true;
            case Functions.SourceState.NothingAvailable:
                Flush();
                _host.Schedule(status.RetryAfter, _host.RequestDefaultAction);
                return false;
            default:
                // End of data: event time ends too, so every pending window and timer fires before the final checkpoint.
                _source.EmitFinalWatermark();
                Flush();
                if (_deployment.Options.FinalCheckpoint)
                {
                    _endOfData = true;
                    return false;
                }

                EndInput();
                return true;
        }
    }

    private bool ProcessInput()
    {
        var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + StepBudgetTicks;
        do
        {
            if (_batch is { } batch)
            {
                var end = Math.Min(_batchNext + RecordsPerSlice, batch.Count);
                var start = _batchNext;
                _batchNext = end;
                if (end == batch.Count)
                {
                    _batch = null;
                }

                _head!.ProcessBatch(batch, start, end, _batchInput);
                if (end == batch.Count)
                {
                    // Done with it: its arrays may carry the producer's next batch.
                    batch.Recycle();
                }
            }
            else if (_replay.TryDequeue(out var restored))
            {
                // Records an unaligned checkpoint kept at this task's inputs come before any new input.
                _batch = restored.Batch;
                _batchNext = 0;
                _batchInput = _gate!.InputIndexOf(restored.Channel);
            }
            else if (_gate!.TryPoll(out var element, out var channel))
            {
                Handle(element, channel);
            }
            else
            {
                // Input ran dry: send partial batches now rather than at the buffer timeout.
                Flush();
                return false;
            }
        }
        while (State == TaskState.Running && !HasPending() && System.Diagnostics.Stopwatch.GetTimestamp() < deadline);

        return true;
    }

    private void Handle(StreamElement element, int channel)
    {
        switch (element)
        {
            case RecordBatch batch:
                // Processed by ProcessInput, a slice at a time, before anything else is read.
                RecordsIn += batch.Count;
                _recording?.OnRecords(channel, batch);
                _batch = batch;
                _batchNext = 0;
                _batchInput = _gate!.InputIndexOf(channel);
                break;
            case CheckpointBarrier { Unaligned: true } barrier:
                OnUnalignedBarrier(channel, barrier);
                break;
            case CheckpointBarrier barrier when _recording?.CheckpointId == barrier.CheckpointId:
                // Taken unaligned here after its alignment timed out: this channel's barrier came in line.
                _recording.OnBarrier(channel, []);
                CompleteRecordingIfDone();
                break;
            case CheckpointBarrier barrier:
                _barriers.TryAdd(barrier.CheckpointId, barrier);
                Act(_barrierHandler!.OnBarrier(channel, barrier.CheckpointId));
                break;
            case CancelCheckpointMarker marker:
                if (_recording?.CheckpointId <= marker.CheckpointId)
                {
                    _recording = null;
                }

                Act(_barrierHandler!.OnCancelMarker(marker.CheckpointId));
                break;
            case Watermark watermark:
                if (_valve!.OnWatermark(channel, watermark.Timestamp) is { } advanced)
                {
                    _head!.ProcessWatermark(new Watermark(advanced), _gate!.InputIndexOf(channel));
                }

                break;
            case WatermarkStatus status:
                var wasIdle = _valve!.AllIdle;
                if (_valve.OnStatus(channel, status.IsIdle) is { } advancedByIdleness)
                {
                    _head!.ProcessWatermark(new Watermark(advancedByIdleness), _gate!.InputIndexOf(channel));
                }

                if (_valve.AllIdle != wasIdle)
                {
                    _head!.ProcessWatermarkStatus(_valve.AllIdle ? WatermarkStatus.Idle : WatermarkStatus.Active, _gate!.InputIndexOf(channel));
                }

                break;
            case EndOfInput:
                _gate!.MarkFinished(channel);
                if (_recording is { } recording)
                {
                    recording.OnEndOfInput(channel);
                    CompleteRecordingIfDone();
                }

                Act(_barrierHandler!.OnEndOfInput(channel));
                if (_valve!.OnEndOfInput(channel) is { } final)
                {
                    _head!.ProcessWatermark(new Watermark(final), _gate.InputIndexOf(channel));
                }

                if (_gate.AllFinished)
                {
                    EndInput();
                }

                break;
        }
    }

    private void Act(BarrierDecision decision)
    {
        if (decision.AbortedCheckpoint is { } aborted)
        {
            _barriers.Remove(aborted);
            Broadcast(new CancelCheckpointMarker(aborted));
            _host.DeclineCheckpoint(aborted, $"task {Name} aborted its barrier alignment (a newer barrier or a cancel marker arrived)", alignmentAborted: true);
        }

        if (decision.TriggeredCheckpoint is { } triggered && _barriers.Remove(triggered, out var barrier))
        {
            ForgetBarriersUpTo(triggered);
            _checkpointer!.Checkpoint(barrier, sendBarrier: true);
        }
    }

    /// <summary>The aligned barriers kept of checkpoints up to <paramref name="checkpointId"/> are of no use once it is taken.</summary>
    private void ForgetBarriersUpTo(long checkpointId)
    {
        foreach (var stale in _barriers.Keys.Where(id => id <= checkpointId).ToArray())
        {
            _barriers.Remove(stale);
        }
    }

    /// <summary>
    /// An unaligned barrier: the checkpoint's first triggers it (snapshot now, barrier on ahead of
    /// the output waiting) and starts keeping the inputs' in-flight records; each barrier ends that
    /// for its channel, adding the records it overtook there. A checkpoint being aligned (its
    /// alignment timed out) switches: the channels that delivered its aligned barrier are done. A
    /// newer checkpoint's barrier before an older one is complete declines the older.
    /// </summary>
    private void OnUnalignedBarrier(int channel, CheckpointBarrier barrier)
    {
        var id = barrier.CheckpointId;
        if (_recording is { } older && older.CheckpointId < id)
        {
            _recording = null;
            _host.DeclineCheckpoint(older.CheckpointId, $"task {Name} got the barrier of checkpoint {id} before checkpoint {older.CheckpointId}'s had come on every input channel", alignmentAborted: true);
        }

        if (_recording is null)
        {
            if (_barrierHandler!.SwitchToUnaligned(id, out var decision) is not { } delivered)
            {
                return; // a late barrier of a checkpoint taken, aborted or superseded here
            }

            Act(decision);
            ForgetBarriersUpTo(id);
            _recording = new InputChannelRecorder(id, InputCodecs, _gate!.IsFinished);
            _checkpointer!.Checkpoint(new CheckpointBarrier(id, barrier.Timestamp, barrier.Kind, unaligned: true), sendBarrier: true, awaitInputState: true);
            foreach (var done in delivered)
            {
                _recording.OnBarrier(done, []);
            }
        }

        if (_recording.CheckpointId != id)
        {
            return; // an older checkpoint's barrier, behind which this channel still owes the newer one's records
        }

        _recording.OnBarrier(channel, barrier.Overtaken);
        CompleteRecordingIfDone();
    }

    private void CompleteRecordingIfDone()
    {
        if (_recording is { IsComplete: true } recording)
        {
            _recording = null;
            _checkpointer!.CompleteInputState(recording.CheckpointId, recording.Buffer);
        }
    }

    /// <summary>Each input channel's encoding, for its channel state.</summary>
    private IStreamElementCodec[] InputCodecs => _inputCodecs ??= [.. _inputs.Select(input =>
        input.Codec ?? throw new InvalidOperationException($"Task {Name} has an input channel without a codec: unaligned checkpoints need each input's encoding (InputBinding.Codec)."))];

    /// <summary>
    /// Restored from an unaligned checkpoint: queues the input records it kept (processed before
    /// any new input) and the output records (sent before anything the task emits).
    /// </summary>
    private async Task RestoreChannelStateAsync(CancellationToken cancellationToken)
    {
        var restore = _deployment.RestoreState;
        if (restore is null)
        {
            return;
        }

        foreach (var transformation in _vertex.Chain.Skip(1))
        {
            if (restore.GetValueOrDefault(transformation.Uid!) is { ChannelState.Count: > 0 })
            {
                throw new CheckpointMismatchException($"The checkpoint holds in-flight records of an unaligned checkpoint for operator '{transformation.Name}' (uid '{transformation.Uid}'), which is no longer the first of its task's chain: the chaining changed. Restore with the chaining of the checkpoint, or from a savepoint (always aligned).");
            }
        }

        var segments = restore.GetValueOrDefault(_vertex.Chain[0].Uid!)?.ChannelState ?? [];
        if (segments.Count == 0)
        {
            return;
        }

        foreach (var input in await ChannelStateFile.ReadAsync(_restoreStore, segments, ChannelStateKind.Input, InputCodecs, cancellationToken))
        {
            _replay.Enqueue(input);
        }

        var outputs = _writers.Channels();
        foreach (var (channel, batch) in await ChannelStateFile.ReadAsync(_restoreStore, segments, ChannelStateKind.Output, [.. outputs.Select(o => o.Writer.Codec)], cancellationToken))
        {
            outputs[channel].Writer.Resend(outputs[channel].Channel, batch);
        }
    }

    private void EndInput()
    {
        if (State != TaskState.Running)
        {
            return;
        }

        foreach (var op in _chain)
        {
            op.Finish();
        }

        Broadcast(EndOfInput.Instance);
        State = TaskState.Finishing;
    }

    private void Broadcast(StreamElement element)
    {
        foreach (var writer in _writers)
        {
            writer.Broadcast(element);
        }

        _lastFlush = _host.Clock.GetTimestamp();
    }

    private void Flush()
    {
        foreach (var writer in _writers)
        {
            writer.Flush();
        }

        _lastFlush = _host.Clock.GetTimestamp();
    }

    private void FlushIfBufferTimeoutElapsed()
    {
        if (_host.Clock.GetElapsedTime(_lastFlush) >= _deployment.Options.BufferTimeout)
        {
            Flush();
        }
    }

    private bool HasPending()
    {
        foreach (var writer in _writers)
        {
            if (writer.HasPending)
            {
                return true;
            }
        }

        return false;
    }

    private bool TrySendPending()
    {
        var done = true;
        foreach (var writer in _writers)
        {
            done &= writer.TrySendPending();
        }

        return done;
    }

    private void Guard(Action action)
    {
        if (State is TaskState.Canceled or TaskState.Failed)
        {
            return;
        }

        try
        {
            action();
        }
        catch (Exception exception)
        {
            Fail(exception);
        }
    }

    private void Fail(Exception exception)
    {
        if (State is TaskState.Canceled or TaskState.Failed)
        {
            return;
        }

        State = TaskState.Failed;
        _checkpointer?.Dispose();
        CloseOperators();
        _host.ReportFailure(exception);
    }

    /// <summary>Closes operators after a cancel or failure; their errors are secondary to what stopped the task.</summary>
    private void CloseOperators()
    {
        foreach (var op in _chain)
        {
            try
            {
                op.Close();
            }
            catch (Exception)
            {
                // Closing after a failure or cancel: the first failure is what counts.
            }
        }
    }

    private NetworkOutputSpec NetworkOutput(JobEdge edge)
    {
        var channels = _outputs.TryGetValue(edge.Id, out var list)
            ? list
            : throw new InvalidOperationException($"Task {Name} got no channels for its output edge {edge.Id} to {edge.Target.Name}.");
        var senders = channels.Select(c => new ChannelSender(c, _host.RequestDefaultAction)).ToArray();
        return new NetworkOutputSpec(senders, edge.Partitioning, edge.KeyGroupSelectorFactory, _vertex.MaxParallelism, _deployment.Options.BatchSize, _deployment.SubtaskIndex, edge.Tag);
    }
}

/// <summary>Operators that count what they emit (sources).</summary>
internal interface ISourceMetrics
{
    long RecordsOut { get; }
}
