using Microsoft.Extensions.Hosting;

namespace Weir.Grains.Hosting;

/// <summary>
/// Starts the silo with the host (in a cluster: binds its ports and joins before the host's
/// later services start); on stop, deactivates every activation (their OnDeactivateAsync runs)
/// before the host exits. In a cluster the silo first announces ShuttingDown, so calls go to
/// the other silos while its grains deactivate, and leaves the table as Dead at the end.
/// </summary>
internal sealed class SiloHostedService(GrainRuntime runtime) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        runtime.Start();
        if (runtime.Cluster is { } cluster)
        {
            await cluster.StartAsync(cancellationToken);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (runtime.Cluster is { } cluster)
        {
            await cluster.BeginShutdownAsync(cancellationToken);
        }

        try
        {
            await runtime.StopAsync(cancellationToken);
        }
        finally
        {
            if (runtime.Cluster is { } stopping)
            {
                await stopping.StopAsync(cancellationToken);
            }
        }
    }
}
