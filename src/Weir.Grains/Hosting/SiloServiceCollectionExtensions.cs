using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Weir.Grains;
using Weir.Grains.Activation;
using Weir.Grains.Channels;
using Weir.Grains.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Hosts a Weir silo on the .NET generic host.</summary>
public static class SiloServiceCollectionExtensions
{
    /// <summary>
    /// Adds a silo that starts and stops with the host. Grain classes come from the entry
    /// assembly and from what the returned builder adds. <see cref="IGrainFactory"/>,
    /// <see cref="IGrainLocator"/>, <see cref="IRemoteChannelFactory"/> and
    /// <see cref="ILocalSiloDetails"/> are registered; the silo's clock is the registered
    /// <see cref="TimeProvider"/> (the system clock unless one is registered). Without
    /// <see cref="ClusterOptions.ClusterId"/> the silo runs alone and opens no port; with it, the
    /// silo joins that cluster (see <see cref="ClusterOptions"/>).
    /// </summary>
    public static WeirSiloBuilder AddWeirSilo(this IServiceCollection services, Action<SiloOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.Where(d => d.ServiceType == typeof(WeirSiloBuilder)).Select(d => d.ImplementationInstance).OfType<WeirSiloBuilder>().FirstOrDefault();
        if (builder is null)
        {
            builder = new WeirSiloBuilder(services);
            if (Assembly.GetEntryAssembly() is { } entry)
            {
                builder.AddGrains(entry);
            }

            services.AddSingleton(builder);
            services.AddOptions<SiloOptions>().ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SiloOptions>, SiloOptionsValidator>());
            services.TryAddSingleton(TimeProvider.System);
            services.AddSingleton(sp => new GrainTypeRegistry(sp.GetRequiredService<WeirSiloBuilder>().GrainClasses));
            services.AddSingleton(sp => new GrainRuntime(
                sp,
                sp.GetRequiredService<IOptions<SiloOptions>>().Value,
                sp.GetRequiredService<GrainTypeRegistry>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>()));
            services.AddSingleton(sp => sp.GetRequiredService<GrainRuntime>().GrainFactory);
            services.AddSingleton<IGrainLocator>(sp => sp.GetRequiredService<GrainRuntime>().Placement);
            services.AddSingleton<IRemoteChannelFactory>(sp => sp.GetRequiredService<GrainRuntime>().Channels);
            services.AddSingleton<ILocalSiloDetails>(sp => new LocalSiloDetails(sp.GetRequiredService<GrainRuntime>()));
            services.AddHostedService<SiloHostedService>();
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return builder;
    }
}
