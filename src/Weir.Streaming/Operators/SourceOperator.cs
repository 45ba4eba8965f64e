using Weir.Streaming.Functions;
using Weir.Streaming.State;

namespace Weir.Streaming.Operators;

/// <summary>The untyped face of a source operator, for the task's default action.</summary>
internal interface ISourceOperator
{
    SourceStatus Poll(int maxRecords);

    /// <summary>At end of data: the watermark at the end of time.</summary>
    void EmitFinalWatermark();
}

/// <summary>
/// Runs a <see cref="SourceFunction{T, TSplit}"/>: its splits are the operator list state
/// <c>source-splits</c>, captured in the synchronous part of every checkpoint.
/// </summary>
internal sealed class SourceOperator<T, TSplit>(SourceFunction<T, TSplit> template, Watermarks.WatermarkStrategy<T>? watermarks = null, TimeSpan watermarkInterval = default)
    : StreamOperator, ISourceOperator, ISourceOutput<T>, Graph.IHasOutput<T>, Tasks.ISourceMetrics
{
    private const string SplitState = "source-splits";
    private readonly SourceFunction<T, TSplit> _function = template.CreateInstance();
    private IOperatorListState<TSplit>? _splits;
    private IOutput<T>? _output;
    private Watermarks.SplitWatermarks<T>? _watermarks;
    private bool _closed;

    /// <inheritdoc />
    public int CurrentSplit
    {
        get => _watermarks?.CurrentSplit ?? 0;
        set
        {
            if (_watermarks is not null)
            {
                _watermarks.CurrentSplit = value;
            }
        }
    }

    public IOutput<T> Output => _output ?? throw new InvalidOperationException("The source has no output yet.");

    public long RecordsOut { get; private set; }

    public void SetOutput(IOutput<T> output) => _output = output;

    public override void Open()
    {
        _splits = Context.OperatorState.GetListState<TSplit>(SplitState);
        var splits = Context.IsRestored
            ? _splits.Get().ToArray()
            : _function.CreateSplits(Context.SubtaskIndex, Context.Parallelism).ToArray();
        _function.Open(splits, new SourceContext(Context.SubtaskIndex, Context.Parallelism, Context.Clock));
        if (watermarks is not null)
        {
            _watermarks = new Watermarks.SplitWatermarks<T>(watermarks, Context.Clock);
            _watermarks.Track(splits.Length);
            Context.Services.Schedule(watermarkInterval, EmitWatermarks);
        }
    }

    private void EmitWatermarks()
    {
        if (_closed)
        {
            return;
        }

        var (watermark, status) = _watermarks!.OnPeriodicEmit();
        if (status is not null)
        {
            Output.EmitStatus(status);
        }

        if (watermark is not null)
        {
            Output.EmitWatermark(watermark);
        }

        Context.Services.Schedule(watermarkInterval, EmitWatermarks);
    }

    public SourceStatus Poll(int maxRecords) => _function.Poll(this, maxRecords);

    public void EmitFinalWatermark() => Output.EmitWatermark(Elements.Watermark.MaxWatermark);

    public void Collect(T value) => Collect(value, Elements.RecordBatch.NoTimestamp);

    public void Collect(T value, long timestamp)
    {
        RecordsOut++;
        Output.Collect(value, _watermarks is null ? timestamp : _watermarks.OnRecord(value, timestamp));
    }

    public override void SnapshotState(long checkpointId) => _splits!.Update(_function.SnapshotSplits());

    public override void NotifyCheckpointComplete(long checkpointId) => _function.NotifyCheckpointComplete(checkpointId);

    public override void Close()
    {
        _closed = true;
        _function.Close();
    }
}
