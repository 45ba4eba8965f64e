using Weir.Grains.Activation;

namespace Weir.Grains.Mailbox;

/// <summary>What a default action reports after one step.</summary>
public enum DefaultActionResult
{
    /// <summary>It can make more progress now: run it again after pending mail.</summary>
    MoreAvailable,

    /// <summary>It cannot progress (no input, or no output credit): wait for <see cref="MailboxProcessor.Resume"/>.</summary>
    Suspend,
}

/// <summary>
/// Flink's mailbox model on a grain: the grain's calls and timer ticks are the mail, and a
/// default action (process a batch of input) runs whenever no mail is waiting, for as long as
/// it reports <see cref="DefaultActionResult.MoreAvailable"/>. When it suspends (no input, no
/// credit downstream), only <see cref="Resume"/> (called by a channel signal from any thread)
/// schedules it again, so a backpressured subtask still answers a checkpoint trigger or a cancel.
///
/// Each step runs on the grain's activation, never in parallel with its turns; mail always
/// goes before the next step. Steps may interleave with a turn that is awaiting.
/// </summary>
public sealed class MailboxProcessor
{
    private const int Suspended = 0;
    private const int Scheduled = 1;
    private const int Stopped = 2;

    private readonly ActivationData _activation;
    private readonly Func<DefaultActionResult> _defaultAction;
    private readonly SendOrPostCallback _step;
    private int _state = Suspended;
    private int _resumeRequested;

    /// <summary>Creates a mailbox processor for <paramref name="grain"/>; call from the grain's own code.</summary>
    public MailboxProcessor(Grain grain, Func<DefaultActionResult> defaultAction)
    {
        ArgumentNullException.ThrowIfNull(grain);
        ArgumentNullException.ThrowIfNull(defaultAction);
        _activation = grain.Activation;
        _defaultAction = defaultAction;
        _step = _ => Step();
    }

    /// <summary>True once <see cref="Stop"/> was called.</summary>
    public bool IsStopped => Volatile.Read(ref _state) == Stopped;

    /// <summary>Schedules the default action if it is suspended. Safe from any thread; cheap when already scheduled.</summary>
    public void Resume()
    {
        Volatile.Write(ref _resumeRequested, 1);
        if (Interlocked.CompareExchange(ref _state, Scheduled, Suspended) == Suspended)
        {
            _activation.PostBackground(_step, null);
        }
    }

    /// <summary>Stops running the default action; a step already running finishes.</summary>
    public void Stop() => Interlocked.Exchange(ref _state, Stopped);

    private void Step()
    {
        while (true)
        {
            if (Volatile.Read(ref _state) == Stopped)
            {
                return;
            }

            Volatile.Write(ref _resumeRequested, 0);
            if (_defaultAction() == DefaultActionResult.MoreAvailable)
            {
                // Stay scheduled, but let mail go first.
                _activation.PostBackground(_step, null);
                return;
            }

            if (Interlocked.CompareExchange(ref _state, Suspended, Scheduled) != Scheduled)
            {
                return;
            }

            // A Resume that raced with the step must not be lost.
            if (Volatile.Read(ref _resumeRequested) == 0
                || Interlocked.CompareExchange(ref _state, Scheduled, Suspended) != Suspended)
            {
                return;
            }
        }
    }
}
