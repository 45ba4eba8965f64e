using System.Net;

namespace Weir.Grains;

/// <summary>Who this silo is: its name, address and cluster. Resolve it from the silo's services.</summary>
public interface ILocalSiloDetails
{
    /// <summary>The silo's name.</summary>
    string SiloName { get; }

    /// <summary>
    /// The silo's address: its silo endpoint and generation once it has joined a cluster; in a
    /// single silo, a loopback placeholder with port 0.
    /// </summary>
    SiloAddress SiloAddress { get; }

    /// <summary>The cluster it belongs to; null for a single silo.</summary>
    string? ClusterId { get; }

    /// <summary>Where grain clients connect, if this silo is a gateway.</summary>
    IPEndPoint? GatewayEndpoint { get; }
}

/// <summary><see cref="ILocalSiloDetails"/> of the runtime.</summary>
internal sealed class LocalSiloDetails(GrainRuntime runtime) : ILocalSiloDetails
{
    public string SiloName => runtime.Options.SiloName;

    public SiloAddress SiloAddress => runtime.Placement.LocalSilo;

    public string? ClusterId => runtime.Cluster?.ClusterId;

    public IPEndPoint? GatewayEndpoint => runtime.Cluster?.GatewayEndpoint;
}
