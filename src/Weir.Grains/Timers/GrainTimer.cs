using Weir.Grains.Activation;
using Weir.Grains.Invocation;

namespace Weir.Grains.Timers;

/// <summary>
/// A timer whose callback runs as a turn of its grain. A tick is a message in the grain's inbox,
/// so it never overlaps another turn of a non-reentrant grain; the next tick is armed when the
/// callback completes, so slow callbacks never pile up. Ticks do not count as activity for idle
/// collection, and are dropped (not forwarded) when the activation deactivates.
/// </summary>
internal sealed class GrainTimer : IDisposable
{
    private readonly ActivationData _activation;
    private readonly Func<CancellationToken, Task> _callback;
    private readonly TimeSpan _period;
    private readonly CancellationTokenSource _disposed = new();
    private readonly ITimer _timer;

    private GrainTimer(ActivationData activation, Func<CancellationToken, Task> callback, TimeSpan period)
    {
        _activation = activation;
        _callback = callback;
        _period = period;
        _timer = activation.Runtime.TimeProvider.CreateTimer(static s => ((GrainTimer)s!).OnDue(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public static GrainTimer Start(ActivationData activation, Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime < TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(dueTime), dueTime, "A timer's due time must be zero or more, or Timeout.InfiniteTimeSpan.");
        }

        if (period <= TimeSpan.Zero && period != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "A timer's period must be positive, or Timeout.InfiniteTimeSpan to fire once.");
        }

        var timer = new GrainTimer(activation, callback, period);
        activation.AddTimer(timer);
        timer._timer.Change(dueTime, Timeout.InfiniteTimeSpan);
        return timer;
    }

    public void Dispose()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        _disposed.Cancel();
        _timer.Dispose();
        _activation.RemoveTimer(this);
    }

    private void OnDue()
    {
        if (!_disposed.IsCancellationRequested)
        {
            _activation.TryEnqueue(new Tick(this));
        }
    }

    private void OnTickCompleted(Task turn)
    {
        if (turn.IsFaulted)
        {
            _activation.Runtime.Log.TimerCallbackFailed(turn.Exception!.GetBaseException(), _activation.GrainId);
        }

        if (_period == Timeout.InfiniteTimeSpan)
        {
            // A one-shot timer is done after its tick.
            Dispose();
            return;
        }

        if (!_disposed.IsCancellationRequested)
        {
            try
            {
                _timer.Change(_period, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Disposed concurrently: no next tick.
            }
        }
    }

    private sealed class Tick(GrainTimer timer) : Message(CallDeadline.Never)
    {
        private bool _completed;

        public override bool IsCompleted => Volatile.Read(ref _completed);

        public override bool ForwardOnDeactivation => false;

        public override bool KeepsAlive => false;

        public override Task Invoke(Grain grain) =>
            timer._disposed.IsCancellationRequested ? Task.CompletedTask : timer._callback(timer._disposed.Token);

        public override void Complete(Task turn)
        {
            Volatile.Write(ref _completed, true);
            timer.OnTickCompleted(turn);
        }

        public override void Fail(Exception exception) => Volatile.Write(ref _completed, true);

        public override string Describe() => "timer tick";
    }
}
