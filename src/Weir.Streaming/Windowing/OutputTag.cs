using Weir.Streaming.Output;

namespace Weir.Streaming.Windowing;

/// <summary>Names a side output of records of <typeparamref name="T"/> (late records of a window, or a process function's extra output).</summary>
public sealed class OutputTag<T>(string id) : OutputTag(id)
{
    internal override Elements.IStreamElementCodec CreateCodec() => new Elements.StreamElementCodec<T>();

    internal override IRecordWriter CreateWriter(Graph.NetworkOutputSpec spec) => spec.CreateWriter<T>();
}

/// <summary>The untyped face of an output tag.</summary>
public abstract class OutputTag
{
    private protected OutputTag(string id) => Id = !string.IsNullOrWhiteSpace(id) ? id : throw new ArgumentException("An output tag needs an id.", nameof(id));

    /// <summary>The tag's id, unique within its operator.</summary>
    public string Id { get; }

    internal abstract Elements.IStreamElementCodec CreateCodec();

    /// <summary>The record writer of an edge carrying this side output; it is also the operator's output for the tag.</summary>
    internal abstract IRecordWriter CreateWriter(Graph.NetworkOutputSpec spec);

    /// <inheritdoc />
    public override string ToString() => $"side output '{Id}'";
}
