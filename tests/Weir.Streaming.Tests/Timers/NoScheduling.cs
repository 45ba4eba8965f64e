using Weir.Streaming.Tasks;

namespace Weir.Streaming.Tests.Timers;

/// <summary>Task services for event time only: nothing is scheduled.</summary>
internal sealed class NoScheduling : ITaskServices
{
    public TimeProvider Clock => TimeProvider.System;

    public IDisposable Schedule(TimeSpan delay, Action action) => throw new InvalidOperationException("No processing-time timer was registered.");

    public void YieldToBarriers()
    {
    }
}
