using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Grains;

namespace Weir.Benchmarks.Grains;

/// <summary>An in-process silo with the benchmark grains and logging off.</summary>
internal static class BenchSilo
{
    public static async Task<IHost> StartAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddWeirSilo(o => o.SiloName = "bench").AddGrains(typeof(BenchSilo).Assembly);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static IGrainFactory Grains(this IHost host) => host.Services.GetRequiredService<IGrainFactory>();
}
