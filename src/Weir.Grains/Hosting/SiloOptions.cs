namespace Weir.Grains.Hosting;

/// <summary>Options of a silo. Validated when the host starts.</summary>
public sealed class SiloOptions
{
    /// <summary>The silo's name in logs and errors.</summary>
    public string SiloName { get; set; } = Environment.MachineName;

    /// <summary>How long a caller waits for a grain call's answer before a <see cref="TimeoutException"/>. Default 30 s.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an activation may stay idle before it is deactivated. Default 15 min.</summary>
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often idle activations are looked for. Default 1 min; must be less than <see cref="CollectionAge"/>.</summary>
    public TimeSpan CollectionQuantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long OnDeactivateAsync may run before deactivation goes on without it. Default 30 s.</summary>
    public TimeSpan DeactivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How the silo joins a cluster. Left alone (no <see cref="ClusterOptions.ClusterId"/>), the silo runs alone and opens no port.</summary>
    public ClusterOptions Cluster { get; set; } = new();
}
