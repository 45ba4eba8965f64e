using System.Collections.Concurrent;

namespace Weir.Grains.Tests;

/// <summary>What test grains report: activations, deactivations and their reasons.</summary>
public sealed class GrainEvents
{
    public ConcurrentQueue<(GrainId Grain, string Event)> Log { get; } = new();

    public TaskCompletionSource<DeactivationReason> FirstDeactivation { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Releases every hung call, so a test can end without waiting for shutdown timeouts.</summary>
    public TaskCompletionSource ReleaseHungCalls { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Count(GrainId grain, string eventName) => Log.Count(e => e.Grain == grain && e.Event == eventName);
}

public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> IncrementAsync();

    Task<int> GetAsync();

    ValueTask<int> GetValueAsync();

    ValueTask ResetAsync();

    Task DeactivateAsync();
}

public sealed class CounterGrain(GrainEvents events) : Grain, ICounterGrain
{
    private int _count;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        events.Log.Enqueue((GrainId, "activate"));
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        events.Log.Enqueue((GrainId, "deactivate:" + reason));
        events.FirstDeactivation.TrySetResult(reason);
        return Task.CompletedTask;
    }

    public Task<int> IncrementAsync() => Task.FromResult(++_count);

    public Task<int> GetAsync() => Task.FromResult(_count);

    public ValueTask<int> GetValueAsync() => ValueTask.FromResult(_count);

    public ValueTask ResetAsync()
    {
        _count = 0;
        return ValueTask.CompletedTask;
    }

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

public interface IIntegerKeyedGrain : IGrainWithIntegerKey
{
    Task<long> GetKeyAsync();
}

public sealed class IntegerKeyedGrain : Grain, IIntegerKeyedGrain
{
    public Task<long> GetKeyAsync() => Task.FromResult(GetPrimaryKeyLong());
}

/// <summary>Records how many turns are inside it at once, across awaits.</summary>
public interface ITurnProbe : IGrainWithStringKey
{
    Task<int> EnterAsync(int id);

    Task<(int MaxInside, int Calls)> GetStatsAsync();
}

public interface ITurnProbeGrain : ITurnProbe
{
}

public interface IReentrantTurnProbeGrain : ITurnProbe
{
}

public abstract class TurnProbeBase : Grain
{
    private int _inside;
    private int _maxInside;
    private int _calls;
    private int? _thread;

    public async Task<int> EnterAsync(int id)
    {
        Enter();
        await Task.Yield();
        Check();
        await Task.Delay(1);
        Check();
        await Task.Yield();
        Exit();
        return id;
    }

    public Task<(int MaxInside, int Calls)> GetStatsAsync() => Task.FromResult((_maxInside, _calls));

    private void Enter()
    {
        _calls++;
        _inside++;
        _maxInside = Math.Max(_maxInside, _inside);
        Check();
    }

    // Two threads inside the grain's code at once would show as a second thread id here.
    private void Check()
    {
        var thread = Environment.CurrentManagedThreadId;
        if (_thread is { } other && other != thread)
        {
            throw new InvalidOperationException("Two threads ran the grain's code at the same time.");
        }

        _thread = thread;
        Thread.SpinWait(50);
        _thread = null;
    }

    private void Exit() => _inside--;
}

public sealed class TurnProbeGrain : TurnProbeBase, ITurnProbeGrain
{
}

[Reentrant]
public sealed class ReentrantTurnProbeGrain : TurnProbeBase, IReentrantTurnProbeGrain
{
}

/// <summary>A call that waits for a later call to release it: completes only if turns interleave.</summary>
public interface IGate : IGrainWithStringKey
{
    Task<string> WaitAsync();

    Task OpenAsync();

    Task HangAsync();

    Task ThrowAsync(string message);
}

public interface IGateGrain : IGate
{
}

public interface IReentrantGateGrain : IGate
{
}

public abstract class GateBase(GrainEvents events) : Grain
{
    private readonly TaskCompletionSource _gate = new();

    public async Task<string> WaitAsync()
    {
        await _gate.Task;
        return "opened";
    }

    public Task OpenAsync()
    {
        _gate.TrySetResult();
        return Task.CompletedTask;
    }

    public Task HangAsync() => events.ReleaseHungCalls.Task;

    public async Task ThrowAsync(string message)
    {
        await Task.Yield();
        throw new ArgumentOutOfRangeException(nameof(message), message);
    }
}

public sealed class GateGrain(GrainEvents events) : GateBase(events), IGateGrain
{
}

[Reentrant]
public sealed class ReentrantGateGrain(GrainEvents events) : GateBase(events), IReentrantGateGrain
{
}

/// <summary>A gate (<see cref="IGate.WaitAsync"/> holds a non-reentrant grain) with calls that always interleave.</summary>
public interface IInterleavingGateGrain : IGate
{
    /// <summary>Opens the gate, interleaving.</summary>
    [AlwaysInterleave]
    Task OpenInterleavingAsync();

    /// <summary>Waits for <see cref="ReleaseHoldAsync"/>, interleaving.</summary>
    [AlwaysInterleave]
    Task<string> HoldAsync();

    Task ReleaseHoldAsync();

    Task<int> PingAsync();
}

public sealed class InterleavingGateGrain(GrainEvents events) : GateBase(events), IInterleavingGateGrain
{
    private readonly TaskCompletionSource _hold = new();
    private int _pings;

    public Task OpenInterleavingAsync() => OpenAsync();

    public async Task<string> HoldAsync()
    {
        await _hold.Task;
        return "released";
    }

    public Task ReleaseHoldAsync()
    {
        _hold.TrySetResult();
        return Task.CompletedTask;
    }

    public Task<int> PingAsync() => Task.FromResult(++_pings);
}

public interface IFailingActivationGrain : IGrainWithStringKey
{
    Task<string> PingAsync();
}

public sealed class FailingActivationGrain : Grain, IFailingActivationGrain
{
    public static int Attempts;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref Attempts) == 1)
        {
            throw new InvalidOperationException("first activation fails");
        }

        return Task.CompletedTask;
    }

    public Task<string> PingAsync() => Task.FromResult("pong");
}

public interface ITimerGrain : IGrainWithStringKey
{
    Task StartAsync(TimeSpan period);

    Task<int> GetTicksAsync();
}

public sealed class TimerGrain : Grain, ITimerGrain
{
    private int _ticks;
    private bool _inTick;

    public Task StartAsync(TimeSpan period)
    {
        RegisterGrainTimer(
            async _ =>
            {
                if (_inTick)
                {
                    throw new InvalidOperationException("ticks overlapped");
                }

                _inTick = true;
                await Task.Yield();
                _ticks++;
                _inTick = false;
            },
            period,
            period);
        return Task.CompletedTask;
    }

    public Task<int> GetTicksAsync() => Task.FromResult(_ticks);
}
