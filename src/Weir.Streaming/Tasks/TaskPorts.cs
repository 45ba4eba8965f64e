using System.Diagnostics.CodeAnalysis;
using Weir.Checkpointing.Coordinator;
using Weir.Streaming.Elements;

namespace Weir.Streaming.Tasks;

/// <summary>The reading end of a channel into a task (FIFO, credit-based; see DESIGN.md "Streams").</summary>
public interface IInputChannel
{
    /// <summary>Takes the next element, returning its credit to the producer.</summary>
    bool TryRead([MaybeNullWhen(false)] out StreamElement element);

    /// <summary>Takes the next element only if it is a priority element (an unaligned barrier, a cancel marker written with priority).</summary>
    bool TryReadPriority([MaybeNullWhen(false)] out StreamElement element);

    /// <summary>Sets what runs (on any thread) when an empty channel receives an element.</summary>
    void SetDataListener(Action listener);
}

/// <summary>The writing end of a channel out of a task.</summary>
public interface IOutputChannel
{
    /// <summary>Writes if the producer has credit; otherwise returns false and calls the credit listener once credit returns.</summary>
    bool TryWrite(StreamElement element);

    /// <summary>Sets what runs (on any thread) when credit returns after a refused write.</summary>
    void SetCreditListener(Action listener);

    /// <summary>
    /// Writes a priority element (an unaligned barrier, a cancel marker) without credit, ahead of the
    /// elements queued in the channel; where it is read, a barrier carries what it overtook
    /// (<see cref="Elements.CheckpointBarrier.Overtaken"/>).
    /// </summary>
    void WritePriority(Elements.StreamElement element);
}

/// <summary>
/// The task's port to its host (a grain in Weir.Hosting): scheduling on the task's own thread,
/// and reports to the job master and the checkpoint coordinator. Everything a task does outside
/// its own state goes through here.
/// </summary>
public interface ITaskHost
{
    /// <summary>The clock.</summary>
    TimeProvider Clock { get; }

    /// <summary>Asks for the task's default action to run (input or credit became available). Any thread.</summary>
    void RequestDefaultAction();

    /// <summary>Runs <paramref name="action"/> on the task's thread as mail. Any thread.</summary>
    void Post(Action action);

    /// <summary>Runs <paramref name="action"/> on the task's thread after <paramref name="delay"/>; dispose to cancel.</summary>
    IDisposable Schedule(TimeSpan delay, Action action);

    /// <summary>Sends the acknowledgement of a checkpoint to the coordinator.</summary>
    void AcknowledgeCheckpoint(long checkpointId, TaskCheckpointAck ack);

    /// <summary>Tells the coordinator the task could not take checkpoint <paramref name="checkpointId"/>.</summary>
    void DeclineCheckpoint(long checkpointId, string reason, bool alignmentAborted);

    /// <summary>Reports that the task failed; the job master restarts the job.</summary>
    void ReportFailure(Exception exception);

    /// <summary>Reports that the task consumed all input and finished.</summary>
    void ReportFinished();
}

/// <summary>What operators may use of their task.</summary>
internal interface ITaskServices
{
    TimeProvider Clock { get; }

    /// <summary>Runs on the task thread after a delay (processing-time timers, rate limits).</summary>
    IDisposable Schedule(TimeSpan delay, Action action);

    /// <summary>
    /// Called between two timers of a long firing: with unaligned checkpoints the task takes the
    /// barriers waiting first in its input channels now, so a checkpoint need not wait for the firing
    /// to end (Flink's interruptible timers). The timers not yet fired are still in state, so the
    /// snapshot holds them. Does nothing otherwise.
    /// </summary>
    void YieldToBarriers();
}
