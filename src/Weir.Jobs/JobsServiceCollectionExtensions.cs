using Weir.Hosting.Jobs;
using Weir.Jobs;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Weir's built-in jobs on a silo.</summary>
public static class JobsServiceCollectionExtensions
{
    /// <summary>Registers every built-in job as a job factory, so jobs submitted by name (also from another silo or a client) can be built here.</summary>
    public static IServiceCollection AddBuiltInJobs(this IServiceCollection services)
    {
        foreach (var factory in JobCatalog.Factories())
        {
            services.AddSingleton<IJobFactory>(factory);
        }

        return services;
    }
}
