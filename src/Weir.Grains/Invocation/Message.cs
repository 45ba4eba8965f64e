using Weir.Serialization;

namespace Weir.Grains.Invocation;

/// <summary>
/// A unit of work addressed to an activation: a grain call with its response, or a timer tick.
/// A message is completed at most once: by the turn that ran it, or by a timeout or a failure
/// to deliver, whichever comes first.
/// </summary>
internal abstract class Message
{
    protected Message(CallDeadline deadline) => Deadline = deadline;

    /// <summary>When the caller stops waiting.</summary>
    public CallDeadline Deadline { get; }

    /// <summary>True once the caller has an answer (result, exception or timeout).</summary>
    public abstract bool IsCompleted { get; }

    /// <summary>Whether a message still queued when its activation deactivates goes to the next activation.</summary>
    public virtual bool ForwardOnDeactivation => true;

    /// <summary>Whether it may start while other turns of its activation await, and lets others start while it awaits (<see cref="AlwaysInterleaveAttribute"/>).</summary>
    public virtual bool AlwaysInterleaves => false;

    /// <summary>Whether running it counts as activity for idle collection.</summary>
    public virtual bool KeepsAlive => true;

    /// <summary>Starts the turn on the grain; returns the turn's task.</summary>
    public abstract Task Invoke(Grain grain);

    /// <summary>Passes the outcome of the finished turn to the caller.</summary>
    public abstract void Complete(Task turn);

    /// <summary>Fails the call without running it (timeout, failed activation, silo stopping).</summary>
    public abstract void Fail(Exception exception);

    /// <summary>For messages: <c>IInterface.Method</c>.</summary>
    public abstract string Describe();

    /// <summary>The grain method, for a call that may go to another silo; null for work that stays on its activation (timer ticks).</summary>
    public virtual GrainMethod? WireMethod => null;

    /// <summary>How many silos forwarded this call so far, counting the next hop (a call arriving from the network counts one more than it arrived with).</summary>
    public virtual byte ForwardCount => 0;

    /// <summary>Encodes the call's arguments for another silo.</summary>
    public virtual void WriteArguments(DataWriter writer) => throw new NotSupportedException($"{Describe()} cannot be sent to another silo.");

    /// <summary>Completes the call with the body of a response from another silo (status, then result or exception).</summary>
    public virtual void CompleteFromWire(ReadOnlySpan<byte> body) => throw new NotSupportedException($"{Describe()} cannot be answered by another silo.");
}

/// <summary>When a caller stops waiting: <see cref="At"/> in <see cref="TimeProvider.GetTimestamp"/> units, after <see cref="Timeout"/>.</summary>
internal readonly record struct CallDeadline(long At, TimeSpan Timeout)
{
    public static readonly CallDeadline Never = new(long.MaxValue, System.Threading.Timeout.InfiniteTimeSpan);
}
