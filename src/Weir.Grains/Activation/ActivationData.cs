using System.Diagnostics.CodeAnalysis;
using Weir.Grains.Invocation;
using Weir.Grains.Timers;

namespace Weir.Grains.Activation;

/// <summary>
/// One activation of a grain: its instance, its mailbox and its turn scheduler.
///
/// Scheduling. At most one thread runs an activation's work at a time: the work loop
/// (<see cref="Execute"/>) holds <c>_scheduled</c> while it runs and releases it only when it
/// finds nothing runnable. While it runs, <see cref="SynchronizationContext.Current"/> is the
/// activation's context, so every <c>await</c> in grain code posts its continuation back here
/// (to <c>_ready</c>). Continuations run before new messages. A message starts a turn; a
/// non-reentrant grain starts the next message only when the previous turn's task completed,
/// a reentrant one whenever the loop is free. Calls to <see cref="AlwaysInterleaveAttribute"/>
/// methods wait in a queue of their own and start whenever the loop is free, and their turns do
/// not hold back the others.
///
/// Life cycle. Creating → Activating (constructor and OnActivateAsync run as a lifecycle turn)
/// → Active → Deactivating (after the running turns end, OnDeactivateAsync runs) → Deactivated
/// (removed from the catalog; queued messages go on to the next activation). Messages that
/// arrive before Active wait in the inbox.
/// </summary>
internal sealed class ActivationData : IThreadPoolWorkItem
{
    // Work items one thread-pool dispatch runs before yielding the thread to other activations.
    private const int ItemsPerDispatch = 128;

    private readonly object _lock = new();
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _ready = new();
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _background = new();
    private readonly Queue<Message> _inbox = new();

    // Calls to [AlwaysInterleave] methods: they may pass the inbox while a turn awaits.
    private readonly Queue<Message> _interleaving = new();
    private readonly List<Message> _running = new(1);
    private readonly List<GrainTimer> _timers = [];
    private readonly TaskCompletionSource _deactivated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ActivationSynchronizationContext _context;

    private ActivationState _state = ActivationState.Creating;
    private bool _scheduled;
    private bool _lifecycleTurn;
    private DeactivationReason? _deactivationRequested;
    private bool _deactivationOverdue;
    private ITimer? _deactivationTimer;
    private long _lastActivity;
    private long _keepAliveUntil;
    private Grain? _grain;

    public ActivationData(GrainId grainId, GrainClass grainClass, GrainRuntime runtime)
    {
        GrainId = grainId;
        GrainClass = grainClass;
        Runtime = runtime;
        _context = new ActivationSynchronizationContext(this);
        _lastActivity = runtime.TimeProvider.GetTimestamp();
    }

    public GrainId GrainId { get; }

    public GrainClass GrainClass { get; }

    public GrainRuntime Runtime { get; }

    /// <summary>Completes when the activation is gone (deactivated, or failed to activate).</summary>
    public Task Deactivated => _deactivated.Task;

    public ActivationState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    public void Start() => ScheduleIfIdle();

    /// <summary>Queues a message; false if this activation is gone and the caller must look up a new one.</summary>
    public bool TryEnqueue(Message message)
    {
        lock (_lock)
        {
            if (_state == ActivationState.Deactivated)
            {
                return false;
            }

            (message.AlwaysInterleaves ? _interleaving : _inbox).Enqueue(message);
            if (message.KeepsAlive)
            {
                _lastActivity = Runtime.TimeProvider.GetTimestamp();
            }

            if (_scheduled)
            {
                return true;
            }

            _scheduled = true;
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        return true;
    }

    /// <summary>Runs a callback on this activation, after the work queued before it (the synchronization context's Post).</summary>
    public void Post(SendOrPostCallback callback, object? state)
    {
        lock (_lock)
        {
            _ready.Enqueue((callback, state));
            if (_scheduled)
            {
                return;
            }

            _scheduled = true;
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>
    /// Runs a callback on this activation when nothing else is runnable: no continuation and no
    /// message that could start a turn. The mailbox's default action runs this way, so mail
    /// always goes first.
    /// </summary>
    public void PostBackground(SendOrPostCallback callback, object? state)
    {
        lock (_lock)
        {
            _background.Enqueue((callback, state));
            if (_scheduled)
            {
                return;
            }

            _scheduled = true;
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public bool IsCurrent => SynchronizationContext.Current == _context;

    public void RequestDeactivation(DeactivationReason reason)
    {
        lock (_lock)
        {
            if (_state is ActivationState.Deactivating or ActivationState.Deactivated || _deactivationRequested is not null)
            {
                return;
            }

            _deactivationRequested = reason;

            // Turns that never end must not keep the activation (or a silo's shutdown) forever.
            _deactivationTimer = Runtime.TimeProvider.CreateTimer(
                static self => ((ActivationData)self!).OnDeactivationOverdue(), this, Runtime.Options.DeactivationTimeout, Timeout.InfiniteTimeSpan);
        }

        ScheduleIfIdle();
    }

    private void OnDeactivationOverdue()
    {
        lock (_lock)
        {
            _deactivationOverdue = true;
        }

        ScheduleIfIdle();
    }

    public void DelayDeactivation(TimeSpan period)
    {
        var now = Runtime.TimeProvider.GetTimestamp();
        lock (_lock)
        {
            _keepAliveUntil = period == Timeout.InfiniteTimeSpan ? long.MaxValue
                : period <= TimeSpan.Zero ? 0
                : now + (long)(period.TotalSeconds * Runtime.TimeProvider.TimestampFrequency);
        }
    }

    /// <summary>True if nothing is queued or running and the last activity is older than <paramref name="age"/>.</summary>
    public bool IsIdleLongerThan(TimeSpan age, long now)
    {
        lock (_lock)
        {
            if (_state != ActivationState.Active || _running.Count > 0 || _inbox.Count > 0 || _interleaving.Count > 0 || _ready.Count > 0
                || _background.Count > 0 || _lifecycleTurn || now < _keepAliveUntil)
            {
                return false;
            }

            return Runtime.TimeProvider.GetElapsedTime(_lastActivity, now) >= age;
        }
    }

    /// <summary>Fails every running or queued call whose deadline passed.</summary>
    public void FailExpiredCalls(long now)
    {
        List<Message>? expired = null;
        lock (_lock)
        {
            foreach (var message in _running)
            {
                if (message.Deadline.At <= now && !message.IsCompleted)
                {
                    (expired ??= []).Add(message);
                }
            }

            foreach (var queue in (ReadOnlySpan<Queue<Message>>)[_inbox, _interleaving])
            {
                foreach (var message in queue)
                {
                    if (message.Deadline.At <= now && !message.IsCompleted)
                    {
                        (expired ??= []).Add(message);
                    }
                }
            }
        }

        if (expired is null)
        {
            return;
        }

        foreach (var message in expired)
        {
            message.Fail(GrainRuntime.TimeoutFor(GrainId, message));
        }
    }

    internal void AddTimer(GrainTimer timer)
    {
        lock (_lock)
        {
            _timers.Add(timer);
        }
    }

    internal void RemoveTimer(GrainTimer timer)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
        }
    }

    void IThreadPoolWorkItem.Execute() => Execute();

    private void Execute()
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(_context);
        try
        {
            for (var budget = ItemsPerDispatch; budget > 0; budget--)
            {
                if (!RunNext())
                {
                    return;
                }
            }

            // Fairness: other activations get the thread; this one stays scheduled.
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>Takes the next runnable item and runs it; false (and unscheduled) when there is none.</summary>
    private bool RunNext()
    {
        (SendOrPostCallback Callback, object? State) continuation;
        Message? message = null;
        var step = Step.None;
        lock (_lock)
        {
            if (_ready.TryDequeue(out continuation))
            {
                step = Step.Continuation;
            }
            else if (_lifecycleTurn)
            {
                step = Step.None;
            }
            else if (_state == ActivationState.Creating)
            {
                _state = ActivationState.Activating;
                _lifecycleTurn = true;
                step = Step.Activate;
            }
            else if (_state == ActivationState.Active && _deactivationRequested is not null)
            {
                if (_running.Count == 0 || _deactivationOverdue)
                {
                    _state = ActivationState.Deactivating;
                    _lifecycleTurn = true;
                    step = Step.Deactivate;
                }
            }
            else if (_state == ActivationState.Active
                && (TryTakeCall(_interleaving, out message) || ((GrainClass.IsReentrant || !HoldsInbox()) && TryTakeCall(_inbox, out message))))
            {
                _running.Add(message);
                step = Step.Turn;
            }

            if (step == Step.None && _background.TryDequeue(out continuation))
            {
                step = Step.Continuation;
            }

            if (step == Step.None)
            {
                _scheduled = false;
                return false;
            }
        }

        switch (step)
        {
            case Step.Continuation:
                continuation.Callback(continuation.State);
                break;
            case Step.Activate:
                TrackLifecycleTurn(ActivateAsync());
                break;
            case Step.Deactivate:
                TrackLifecycleTurn(DeactivateAsync());
                break;
            case Step.Turn:
                StartTurn(message!);
                break;
        }

        return true;
    }

    /// <summary>Whether a running turn holds back the inbox: one that is not an <see cref="AlwaysInterleaveAttribute"/> call (under the lock).</summary>
    private bool HoldsInbox()
    {
        foreach (var running in _running)
        {
            if (!running.AlwaysInterleaves)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first call of <paramref name="queue"/> whose caller still waits (those answered already, by a timeout, are dropped).</summary>
    private static bool TryTakeCall(Queue<Message> queue, [NotNullWhen(true)] out Message? message)
    {
        while (queue.TryDequeue(out message))
        {
            if (!message.IsCompleted)
            {
                return true;
            }
        }

        return false;
    }

    private void StartTurn(Message message)
    {
        Task turn;
        try
        {
            turn = message.Invoke(_grain!);
        }
        catch (Exception exception)
        {
            turn = Task.FromException(exception);
        }

        if (turn.IsCompleted)
        {
            EndTurn(message, turn);
        }
        else
        {
            turn.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => EndTurn(message, turn));
        }
    }

    private void EndTurn(Message message, Task turn)
    {
        message.Complete(turn);
        lock (_lock)
        {
            _running.Remove(message);

            if (message.KeepsAlive)
            {
                _lastActivity = Runtime.TimeProvider.GetTimestamp();
            }
        }

        // Ending a turn may make the next message runnable; the loop decides.
        ScheduleIfIdle();
    }

    private void TrackLifecycleTurn(Task turn)
    {
        if (turn.IsCompleted)
        {
            EndLifecycleTurn();
        }
        else
        {
            turn.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(EndLifecycleTurn);
        }
    }

    private void EndLifecycleTurn()
    {
        lock (_lock)
        {
            _lifecycleTurn = false;
        }

        ScheduleIfIdle();
    }

    private void ScheduleIfIdle()
    {
        lock (_lock)
        {
            if (_scheduled)
            {
                return;
            }

            _scheduled = true;
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    private async Task ActivateAsync()
    {
        try
        {
            var grain = GrainClass.Create(Runtime.Services);
            grain.Attach(this);
            _grain = grain;
            await grain.OnActivateAsync(Runtime.StoppingToken);
        }
        catch (Exception exception)
        {
            Runtime.Log.ActivationFailed(exception, GrainId);
            await FinishDeactivationAsync(failure: exception);
            return;
        }

        lock (_lock)
        {
            _state = ActivationState.Active;
            _lastActivity = Runtime.TimeProvider.GetTimestamp();
        }
    }

    private async Task DeactivateAsync()
    {
        var reason = _deactivationRequested!.Value;
        try
        {
            using var timeout = new CancellationTokenSource(Runtime.Options.DeactivationTimeout, Runtime.TimeProvider);
            await _grain!.OnDeactivateAsync(reason, timeout.Token).WaitAsync(Runtime.Options.DeactivationTimeout, Runtime.TimeProvider);
        }
        catch (Exception exception)
        {
            Runtime.Log.DeactivationFailed(exception, GrainId, reason);
        }

        await FinishDeactivationAsync(failure: null);
    }

    /// <summary>
    /// Leaves the catalog, then refuses further messages; what was queued goes to the next
    /// activation (or, if activation failed, fails with the activation's exception).
    /// </summary>
    private Task FinishDeactivationAsync(Exception? failure)
    {
        GrainTimer[] timers;
        Message[] abandoned;
        lock (_lock)
        {
            timers = [.. _timers];
            _timers.Clear();
            abandoned = [.. _running];
            _running.Clear();
            _deactivationTimer?.Dispose();
        }

        foreach (var message in abandoned)
        {
            message.Fail(new InvalidOperationException(
                $"Grain {GrainId} was deactivated ({_deactivationRequested}) while the call {message.Describe()} was still running, after waiting {Runtime.Options.DeactivationTimeout.TotalSeconds:0.#} s for it."));
        }

        foreach (var timer in timers)
        {
            timer.Dispose();
        }

        Runtime.Catalog.Remove(this);
        Message[] queued;
        lock (_lock)
        {
            _state = ActivationState.Deactivated;
            queued = [.. _inbox, .. _interleaving];
            _inbox.Clear();
            _interleaving.Clear();
        }

        foreach (var message in queued)
        {
            if (message.IsCompleted || !message.ForwardOnDeactivation)
            {
                continue;
            }

            if (failure is not null)
            {
                message.Fail(failure);
            }
            else
            {
                Runtime.Redeliver(GrainId, GrainClass, message);
            }
        }

        _deactivated.TrySetResult();
        return Task.CompletedTask;
    }

    public override string ToString() => $"activation of {GrainId}";

    private enum Step
    {
        None,
        Continuation,
        Activate,
        Deactivate,
        Turn,
    }
}

/// <summary>The states of an activation, in the order it passes through them.</summary>
internal enum ActivationState
{
    Creating,
    Activating,
    Active,
    Deactivating,
    Deactivated,
}
