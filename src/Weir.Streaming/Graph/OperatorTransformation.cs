using Weir.Streaming.Operators;

namespace Weir.Streaming.Graph;

/// <summary>A transformation whose operator comes from a factory (one instance per subtask).</summary>
internal sealed class OperatorTransformation<TOut>(int id, string name, Func<StreamOperator> factory, OperatorRole role) : Transformation<TOut>(id, name)
{
    public override bool IsKeyed => role == OperatorRole.Keyed;

    public override bool IsSource => role == OperatorRole.Source;

    public override bool IsSink => role == OperatorRole.Sink;

    public override StreamOperator CreateOperator() => factory();
}

/// <summary>What place an operator takes in the graph.</summary>
internal enum OperatorRole
{
    Source,
    Plain,
    Keyed,
    Sink,
}
