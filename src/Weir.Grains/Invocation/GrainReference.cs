using System.Collections.Concurrent;
using System.Reflection;
using Weir.Grains.Activation;

namespace Weir.Grains.Invocation;

/// <summary>
/// The proxy behind a grain interface: every interface call becomes a message to the grain's
/// activation. The proxy remembers the activation it last reached, and looks it up again once
/// that activation is gone.
/// </summary>
public class GrainReference : DispatchProxy, IGrainReference
{
    private static readonly ConcurrentDictionary<MethodInfo, GrainMethodInvoker> Invokers = new();

    private ActivationData? _activation;

    /// <summary>Creates a proxy; use <see cref="IGrainFactory"/>.</summary>
    public GrainReference()
    {
    }

    /// <inheritdoc />
    public GrainId GrainId { get; private set; }

    internal GrainRuntime Runtime { get; private set; } = null!;

    internal GrainClass GrainClass { get; private set; } = null!;

    internal static TInterface Create<TInterface>(GrainRuntime runtime, GrainId grainId, GrainClass grainClass)
        where TInterface : IGrain
    {
        var proxy = DispatchProxy.Create<TInterface, GrainReference>();
        var reference = (GrainReference)(object)proxy;
        reference.Runtime = runtime;
        reference.GrainId = grainId;
        reference.GrainClass = grainClass;
        return proxy;
    }

    internal void Send(Message message)
    {
        var activation = _activation;
        if (activation is not null && activation.TryEnqueue(message))
        {
            return;
        }

        _activation = Runtime.Deliver(GrainId, GrainClass, message);
    }

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var invoker = Invokers.GetOrAdd(targetMethod, GrainMethodInvoker.Create);
        return invoker.Send(this, args ?? []);
    }

    /// <summary>The invoker of a grain interface method (shared by references and by calls arriving from other silos).</summary>
    internal static GrainMethodInvoker InvokerFor(MethodInfo method) => Invokers.GetOrAdd(method, GrainMethodInvoker.Create);

    /// <inheritdoc />
    public override string ToString() => $"GrainReference:{GrainId}";
}
