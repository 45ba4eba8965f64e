using System.Collections.Concurrent;
using System.Reflection;
using Weir.Grains;
using Weir.Grains.Invocation;
using Weir.Grains.Wire;

namespace Weir.Client;

/// <summary>How the client calls one grain interface method: send a Request and complete a typed task from the Response. Built once per method.</summary>
internal abstract class ClientMethod(GrainMethod wire)
{
    private static readonly ConcurrentDictionary<MethodInfo, ClientMethod> Methods = new();

    public GrainMethod Wire { get; } = wire;

    public static ClientMethod For(MethodInfo method) => Methods.GetOrAdd(method, static m =>
    {
        var wire = GrainMethod.For(m);
        return wire.Result is null
            ? new VoidMethod(wire)
            : (ClientMethod)Activator.CreateInstance(typeof(ValueMethod<>).MakeGenericType(wire.Result.Type), wire)!;
    });

    /// <summary>Sends the call; returns what the proxy method returns.</summary>
    public abstract object Invoke(WeirClient client, GrainId target, object?[] arguments);

    private sealed class VoidMethod(GrainMethod wire) : ClientMethod(wire)
    {
        public override object Invoke(WeirClient client, GrainId target, object?[] arguments)
        {
            var completion = new VoidCompletion();
            client.Send(target, Wire, arguments, completion);
            return Wire.ReturnsValueTask ? new ValueTask(completion.Task) : completion.Task;
        }
    }

    private sealed class ValueMethod<T>(GrainMethod wire) : ClientMethod(wire)
    {
        public override object Invoke(WeirClient client, GrainId target, object?[] arguments)
        {
            var completion = new ValueCompletion<T>();
            client.Send(target, Wire, arguments, completion);
            return Wire.ReturnsValueTask ? new ValueTask<T>(completion.Task) : completion.Task;
        }
    }
}

/// <summary>The caller's end of a call: completed once by the response, a failure or a timeout.</summary>
internal interface ICallCompletion
{
    void OnResponse(ReadOnlySpan<byte> body);

    void OnFailure(Exception exception);
}

internal sealed class VoidCompletion : ICallCompletion
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Task => _completion.Task;

    public void OnResponse(ReadOnlySpan<byte> body) => ResponseBody.Complete(body, _completion);

    public void OnFailure(Exception exception) => _completion.TrySetException(exception);
}

internal sealed class ValueCompletion<T> : ICallCompletion
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public void OnResponse(ReadOnlySpan<byte> body) => ResponseBody.Complete(body, _completion);

    public void OnFailure(Exception exception) => _completion.TrySetException(exception);
}
