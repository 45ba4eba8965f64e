using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Weir.Checkpointing.Configuration;
using Weir.Grains.Hosting;
using Weir.Hosting;
using Weir.Hosting.Channels;
using Weir.Hosting.Grains;
using Weir.Hosting.Jobs;
using Weir.Hosting.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Hosts Weir (a silo that runs jobs) on the .NET generic host.</summary>
public static class WeirServiceCollectionExtensions
{
    /// <summary>
    /// Adds a silo with Weir's job grains, reading Flink's keys from the <c>Weir</c> section of
    /// <paramref name="configuration"/>. A bad value throws <see cref="WeirConfigurationException"/>
    /// here, naming the key, the value and what is allowed. Submit jobs with <see cref="WeirJobClient"/>.
    /// <c>execution.checkpointing.dir</c> may be a local path, a <c>file://</c> URI or an Azure Blob
    /// URL (<see cref="BlobCheckpointStoreProvider"/>, with the credentials of <c>azure.storage.*</c>).
    /// </summary>
    public static WeirSiloBuilder AddWeir(this IServiceCollection services, IConfiguration configuration, Action<SiloOptions>? configureSilo = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration is IConfigurationRoot root
            ? WeirOptions.Parse(root, WeirOptions.SectionName)
            : WeirOptions.Parse(configuration.GetSection(WeirOptions.SectionName));
        return services.AddWeir(options, configureSilo);
    }

    /// <summary>Adds a silo with Weir's job grains and the given options.</summary>
    public static WeirSiloBuilder AddWeir(this IServiceCollection services, WeirOptions options, Action<SiloOptions>? configureSilo = null)
    {
        RejectUnsupported(options);
        services.AddSingleton(options);
        services.TryAddSingleton<JobRegistry>();
        services.TryAddSingleton(sp => new ChannelRegistry(sp.GetService<Weir.Grains.Channels.IRemoteChannelFactory>(), clock: sp.GetService<TimeProvider>()));
        services.TryAddSingleton<ICheckpointStoreFactory, CheckpointStoreFactory>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICheckpointStoreProvider, BlobCheckpointStoreProvider>(
            provider => new BlobCheckpointStoreProvider(provider.GetRequiredService<WeirOptions>().AzureStorage, provider.GetService<Microsoft.Extensions.Logging.ILoggerFactory>())));
        services.TryAddSingleton<WeirJobClient>();
        return services.AddWeirSilo(configureSilo).AddGrains(typeof(JobMasterGrain).Assembly);
    }

    /// <summary>Flink keys that parse but that this build does not implement (or settings that do not go together) stop start-up, or a job's start, rather than being ignored.</summary>
    /// <exception cref="WeirConfigurationException">Names each key, its value and what is allowed.</exception>
    internal static void RejectUnsupported(WeirOptions options)
    {
        var failures = new List<string>();
        if (options.Checkpointing.UnalignedEnabled && options.Checkpointing.Mode != CheckpointingMode.ExactlyOnce)
        {
            failures.Add("Weir:execution.checkpointing.unaligned.enabled = 'true' is not valid with execution.checkpointing.mode = 'AT_LEAST_ONCE': unaligned checkpoints are exactly-once only (AT_LEAST_ONCE never blocks a channel, so it has nothing to overtake). Allowed: false, or mode EXACTLY_ONCE.");
        }

        if (failures.Count > 0)
        {
            throw new WeirConfigurationException(failures);
        }
    }
}
