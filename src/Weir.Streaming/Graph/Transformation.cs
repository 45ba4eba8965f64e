using Weir.Streaming.Operators;
using Weir.Streaming.Output;
using Weir.Streaming.State;

namespace Weir.Streaming.Graph;

/// <summary>
/// A node of the logical dataflow the DataStream API builds: one operator, its settings
/// (name, uid, parallelism) and the edges feeding it. The job graph cuts these into chains.
/// </summary>
internal abstract class Transformation(int id, string name)
{
    public int Id { get; } = id;

    public string Name { get; set; } = name;

    /// <summary>The stable id that matches the operator's state in checkpoints; set by the user or derived from the name.</summary>
    public string? Uid { get; set; }

    /// <summary>Parallelism set by the user, or null for the job's default.</summary>
    public int? Parallelism { get; set; }

    /// <summary>Chaining with the upstream operator is allowed (Flink's disableChaining / startNewChain).</summary>
    public bool ChainingAllowed { get; set; } = true;

    public List<InputEdge> Inputs { get; } = [];

    /// <summary>True for operators with keyed state: every input must be partitioned by key.</summary>
    public virtual bool IsKeyed => false;

    public virtual bool IsSource => false;

    public virtual bool IsSink => false;

    /// <summary>Creates the operator instance of one subtask.</summary>
    public abstract StreamOperator CreateOperator();

    /// <summary>Connects an operator created here to the next operator of its chain.</summary>
    public abstract void ConnectChained(StreamOperator self, StreamOperator next);

    /// <summary>The encoding of this operator's output on channels between silos.</summary>
    public abstract Elements.IStreamElementCodec CreateCodec();

    /// <summary>Connects an operator created here to its network outputs (one record writer per downstream edge).</summary>
    public abstract IReadOnlyList<IRecordWriter> ConnectNetwork(StreamOperator self, IReadOnlyList<NetworkOutputSpec> outputs);

    public override string ToString() => $"'{Name}'";
}

/// <summary>A transformation producing records of <typeparamref name="TOut"/>.</summary>
internal abstract class Transformation<TOut>(int id, string name) : Transformation(id, name)
{
    public override Elements.IStreamElementCodec CreateCodec() => new Elements.StreamElementCodec<TOut>();

    public override void ConnectChained(StreamOperator self, StreamOperator next) =>
        SetOutput(self, new ChainedOutput<TOut>((IInput<TOut>)next));

    public override IReadOnlyList<IRecordWriter> ConnectNetwork(StreamOperator self, IReadOnlyList<NetworkOutputSpec> outputs)
    {
        var sideWriters = new List<IRecordWriter>();
        foreach (var side in outputs.Where(o => o.Tag is not null))
        {
            var writer = side.Tag!.CreateWriter(side);
            sideWriters.Add(writer);
            self.AddSideOutput(side.Tag.Id, writer);
        }

        outputs = outputs.Where(o => o.Tag is null).ToArray();
        if (outputs.Count == 0)
        {
            SetOutput(self, DiscardingOutput<TOut>.Instance);
            return sideWriters;
        }

        var writers = outputs.Select(o => o.CreateWriter<TOut>()).ToArray();
        SetOutput(self, writers.Length == 1 ? writers[0] : new BroadcastingOutput<TOut>(writers));
        return [.. writers, .. sideWriters];
    }

    private static void SetOutput(StreamOperator self, IOutput<TOut> output)
    {
        switch (self)
        {
            case IHasOutput<TOut> withOutput:
                withOutput.SetOutput(output);
                break;
            default:
                throw new InvalidOperationException($"{self.GetType().Name} cannot emit {typeof(TOut).Name} records.");
        }
    }
}

/// <summary>An operator whose output can be connected.</summary>
internal interface IHasOutput<TOut>
{
    void SetOutput(IOutput<TOut> output);
}

/// <summary>An edge into a transformation: from which upstream, partitioned how, into which input.</summary>
internal sealed record InputEdge(Transformation Source, Partitioning? Partitioning, int InputIndex, object? KeyGroupSelectorFactory, Windowing.OutputTag? Tag)
{
    /// <summary>Forward when not set and the parallelism matches, else rebalance (Flink's default).</summary>
    public Partitioning Resolve(int sourceParallelism, int targetParallelism) =>
        Partitioning ?? (sourceParallelism == targetParallelism ? Output.Partitioning.Forward : Output.Partitioning.Rebalance);
}

/// <summary>One downstream edge of a subtask's chain, with the channels to its target subtasks.</summary>
internal sealed record NetworkOutputSpec(ChannelSender[] Senders, Partitioning Partitioning, object? KeyGroupSelectorFactory, int MaxParallelism, int BatchSize, int SubtaskIndex, Windowing.OutputTag? Tag)
{
    /// <summary>The record writer for this edge's records of <typeparamref name="T"/>.</summary>
    public RecordWriterOutput<T> CreateWriter<T>() => new(
        Senders,
        Partitioning,
        KeyGroupSelectorFactory is null ? null : ((Func<int, Func<T, int>>)KeyGroupSelectorFactory)(MaxParallelism),
        MaxParallelism,
        BatchSize,
        SubtaskIndex);
}

/// <summary>Makes key-group selectors: record → key group of its key.</summary>
internal static class KeyGroupSelectors
{
    /// <summary>A factory taking max parallelism and returning <c>record → key group</c>.</summary>
    public static Func<int, Func<T, int>> For<T, TKey>(Func<T, TKey> keySelector) =>
        maxParallelism => record => KeyGroupAssigner.KeyGroupFor(keySelector(record), maxParallelism);
}
