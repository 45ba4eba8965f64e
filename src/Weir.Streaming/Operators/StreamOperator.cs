using Weir.Streaming.Elements;
using Weir.Streaming.State;

namespace Weir.Streaming.Operators;

/// <summary>
/// An operator of a task's chain. Life cycle, driven by the task on its own thread:
/// <c>InitializeState</c> (restored state arrives) → <c>Open</c> → records and watermarks →
/// <c>Finish</c> (end of input; flush) → <c>Close</c>. Checkpoint hooks run between records:
/// <c>PrepareSnapshotPreBarrier</c> before the barrier goes downstream, <c>SnapshotState</c> in
/// the synchronous part, and <c>NotifyCheckpointComplete/Aborted</c> when the coordinator says.
/// </summary>
internal abstract class StreamOperator
{
    private OperatorContext? _context;
    private Dictionary<string, List<object>>? _sideOutputs;

    public OperatorContext Context => _context ?? throw new InvalidOperationException($"{GetType().Name} was not set up by its task.");

    internal void Setup(OperatorContext context) => _context = context;

    internal void AddSideOutput(string tagId, object output)
    {
        _sideOutputs ??= new Dictionary<string, List<object>>(StringComparer.Ordinal);
        if (!_sideOutputs.TryGetValue(tagId, out var list))
        {
            _sideOutputs[tagId] = list = [];
        }

        list.Add(output);
    }

    /// <summary>Where records for side output <paramref name="tag"/> go, or null if nothing reads it.</summary>
    internal IOutput<T>? SideOutput<T>(Windowing.OutputTag<T> tag) =>
        _sideOutputs?.GetValueOrDefault(tag.Id) switch
        {
            null => null,
            [var single] => (IOutput<T>)single,
            var many => new BroadcastingOutput<T>(many.Cast<IOutput<T>>().ToArray()),
        };

    /// <summary>The keyed state backend, for keyed operators (created by the task before <see cref="Open"/>).</summary>
    public virtual IKeyedStateBackend? KeyedStateBackend => null;

    /// <summary>Creates the operator's keyed state backend, if it has keyed state.</summary>
    public virtual void CreateKeyedStateBackend()
    {
    }

    public virtual void Open()
    {
    }

    public virtual void PrepareSnapshotPreBarrier(long checkpointId)
    {
    }

    public virtual void SnapshotState(long checkpointId)
    {
    }

    public virtual void NotifyCheckpointComplete(long checkpointId)
    {
    }

    public virtual void NotifyCheckpointAborted(long checkpointId)
    {
    }

    public virtual void Finish()
    {
    }

    public virtual void Close()
    {
    }
}

/// <summary>An operator with one typed input and output.</summary>
internal abstract class OneInputStreamOperator<TIn, TOut> : StreamOperator, IInput<TIn>, Graph.IHasOutput<TOut>, IBatchInput
{
    private IOutput<TOut>? _output;

    public IOutput<TOut> Output => _output ?? throw new InvalidOperationException($"{GetType().Name} has no output yet.");

    public void SetOutput(IOutput<TOut> output) => _output = output;

    public abstract void ProcessElement(TIn record, long timestamp);

    public virtual void ProcessWatermark(Watermark watermark) => Output.EmitWatermark(watermark);

    public virtual void ProcessWatermarkStatus(WatermarkStatus status) => Output.EmitStatus(status);

    void IBatchInput.ProcessBatch(RecordBatch batch, int start, int end, int inputIndex) => ProcessBatch((RecordBatch<TIn>)batch, start, end);

    void IBatchInput.ProcessWatermark(Watermark watermark, int inputIndex) => ProcessWatermark(watermark);

    void IBatchInput.ProcessWatermarkStatus(WatermarkStatus status, int inputIndex) => ProcessWatermarkStatus(status);

    /// <summary>Runs every record of a batch through <see cref="ProcessElement"/>.</summary>
    public void ProcessBatch(RecordBatch<TIn> batch) => ProcessBatch(batch, 0, batch.Count);

    /// <summary>Runs records [<paramref name="start"/>, <paramref name="end"/>) of a batch through <see cref="ProcessElement"/>.</summary>
    public void ProcessBatch(RecordBatch<TIn> batch, int start, int end)
    {
        var records = batch.Records;
        if (batch.Timestamps is { } timestamps)
        {
            for (var i = start; i < end; i++)
            {
                ProcessElement(records[i], timestamps[i]);
            }
        }
        else
        {
            for (var i = start; i < end; i++)
            {
                ProcessElement(records[i], RecordBatch.NoTimestamp);
            }
        }
    }
}

/// <summary>The head of a chain as its task feeds it: batches (or a part of one) and watermarks, per input.</summary>
internal interface IBatchInput
{
    /// <summary>Processes records [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="batch"/>.</summary>
    void ProcessBatch(RecordBatch batch, int start, int end, int inputIndex);

    void ProcessWatermark(Watermark watermark, int inputIndex);

    void ProcessWatermarkStatus(WatermarkStatus status, int inputIndex);
}
