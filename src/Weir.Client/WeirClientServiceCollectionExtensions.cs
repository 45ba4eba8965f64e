using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Client;
using Weir.Grains;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds a <see cref="WeirClient"/> to an app on the generic host (e.g. ASP.NET).</summary>
public static class WeirClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="WeirClient"/> (also as <see cref="IGrainFactory"/>) that connects
    /// when the host starts (the host fails to start if no gateway accepts) and closes when it stops.
    /// </summary>
    public static IServiceCollection AddWeirClient(this IServiceCollection services, Action<WeirClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new WeirClientOptions();
        configure(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new WeirClient(options, sp.GetService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IGrainFactory>(sp => sp.GetRequiredService<WeirClient>());
        services.AddHostedService<ClientHostedService>();
        return services;
    }

    private sealed class ClientHostedService(WeirClient client) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => client.ConnectAsync(cancellationToken);

        public async Task StopAsync(CancellationToken cancellationToken) => await client.DisposeAsync();
    }
}
