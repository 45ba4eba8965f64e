using Weir.Grains.Wire;
using Weir.Serialization;

namespace Weir.Grains.Invocation;

/// <summary>A grain call whose method returns a value.</summary>
internal sealed class Request<T>(GrainMethodInvoker method, Func<Grain, object?[], Task<T>> call, object?[] arguments, CallDeadline deadline)
    : Message(deadline)
{
    // Asynchronous continuations: the caller's code must never run inside the callee's turn.
    private readonly TaskCompletionSource<T> _response = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Response => _response.Task;

    public override bool IsCompleted => _response.Task.IsCompleted;

    public override Task Invoke(Grain grain) => call(grain, arguments);

    public override void Complete(Task turn)
    {
        var typed = (Task<T>)turn;
        if (typed.IsCompletedSuccessfully)
        {
            _response.TrySetResult(typed.Result);
        }
        else if (typed.IsCanceled)
        {
            _response.TrySetCanceled();
        }
        else
        {
            _response.TrySetException(typed.Exception!.InnerExceptions);
        }
    }

    public override void Fail(Exception exception) => _response.TrySetException(exception);

    public override string Describe() => method.DisplayName;

    public override bool AlwaysInterleaves => method.AlwaysInterleaves;

    public override GrainMethod WireMethod => method.Wire;

    public override void WriteArguments(DataWriter writer) => method.Wire.WriteArguments(writer, arguments);

    public override void CompleteFromWire(ReadOnlySpan<byte> body) => ResponseBody.Complete(body, _response);
}

/// <summary>A grain call whose method returns no value.</summary>
internal sealed class Request(GrainMethodInvoker method, Func<Grain, object?[], Task> call, object?[] arguments, CallDeadline deadline)
    : Message(deadline)
{
    private readonly TaskCompletionSource _response = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Response => _response.Task;

    public override bool IsCompleted => _response.Task.IsCompleted;

    public override Task Invoke(Grain grain) => call(grain, arguments);

    public override void Complete(Task turn)
    {
        if (turn.IsCompletedSuccessfully)
        {
            _response.TrySetResult();
        }
        else if (turn.IsCanceled)
        {
            _response.TrySetCanceled();
        }
        else
        {
            _response.TrySetException(turn.Exception!.InnerExceptions);
        }
    }

    public override void Fail(Exception exception) => _response.TrySetException(exception);

    public override string Describe() => method.DisplayName;

    public override bool AlwaysInterleaves => method.AlwaysInterleaves;

    public override GrainMethod WireMethod => method.Wire;

    public override void WriteArguments(DataWriter writer) => method.Wire.WriteArguments(writer, arguments);

    public override void CompleteFromWire(ReadOnlySpan<byte> body) => ResponseBody.Complete(body, _response);
}
