using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Weir.Grains.Activation;
using Weir.Grains;
using Weir.Grains.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Hosts a Weir silo on the .NET generic host.</summary>
public static class SiloServiceCollectionExtensions
{
    /// <summary>
    /// Adds a silo that starts and stops with the host. Grain classes come from the entry
    /// assembly and from what the returned builder adds. <see cref="IGrainFactory"/> is
    /// registered; the silo's clock is the registered <see cref="TimeProvider"/> (the system
    /// clock unless one is registered).
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
            services.AddHostedService<SiloHostedService>();
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return builder;
    }
}
