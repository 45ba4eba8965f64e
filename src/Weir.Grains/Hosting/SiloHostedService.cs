using Microsoft.Extensions.Hosting;

namespace Weir.Grains.Hosting;

/// <summary>Starts the silo with the host; on stop, deactivates every activation (their OnDeactivateAsync runs) before the host exits.</summary>
internal sealed class SiloHostedService(GrainRuntime runtime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        runtime.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => runtime.StopAsync(cancellationToken);
}
