using Weir.Checkpointing.Metadata;
using Weir.Streaming.State;
using Weir.Streaming.Tasks;

namespace Weir.Streaming.Operators;

/// <summary>What an operator knows of where it runs: identity, parallelism, key groups, clock, operator state and the task's services.</summary>
internal sealed class OperatorContext(
    string uid,
    string name,
    int subtaskIndex,
    int parallelism,
    int maxParallelism,
    OperatorStateStore operatorState,
    bool isRestored,
    ITaskServices services)
{
    /// <summary>True if this operator starts from a checkpoint that holds its state (sources then read only their restored splits).</summary>
    public bool IsRestored { get; } = isRestored;

    public string Uid { get; } = uid;

    public string Name { get; } = name;

    public int SubtaskIndex { get; } = subtaskIndex;

    public int Parallelism { get; } = parallelism;

    public int MaxParallelism { get; } = maxParallelism;

    public KeyGroupRange KeyGroupRange { get; } = KeyGroupRange.ForSubtask(maxParallelism, parallelism, subtaskIndex);

    public OperatorStateStore OperatorState { get; } = operatorState;

    public ITaskServices Services { get; } = services;

    public TimeProvider Clock => Services.Clock;
}
