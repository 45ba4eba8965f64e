using System.Reflection;
using Weir.Grains;

namespace Weir.Client;

/// <summary>The proxy behind a grain interface on the client: every call becomes a Request to the connected gateway.</summary>
internal class ClientGrainReference : DispatchProxy, IGrainReference
{
    private WeirClient _client = null!;

    public GrainId GrainId { get; private set; }

    internal static TInterface Create<TInterface>(WeirClient client, GrainId grainId)
        where TInterface : IGrain
    {
        var proxy = Create<TInterface, ClientGrainReference>();
        var reference = (ClientGrainReference)(object)proxy;
        reference._client = client;
        reference.GrainId = grainId;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        return ClientMethod.For(targetMethod).Invoke(_client, GrainId, args ?? []);
    }

    public override string ToString() => $"ClientGrainReference:{GrainId}";
}
