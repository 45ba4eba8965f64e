using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Grains.Hosting;

namespace Weir.Grains.Tests;

/// <summary>A silo on a generic host with this assembly's test grains, for one test.</summary>
internal sealed class TestSilo : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private TestSilo(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IGrainFactory GrainFactory => _host.Services.GetRequiredService<IGrainFactory>();

    public GrainEvents Events => _host.Services.GetRequiredService<GrainEvents>();

    internal GrainRuntime Runtime => _host.Services.GetRequiredService<GrainRuntime>();

    public static IHost Build(Action<SiloOptions>? configure = null, TimeProvider? clock = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }

        builder.Services.AddSingleton<GrainEvents>();
        builder.Services.AddWeirSilo(configure).AddGrains(typeof(TestSilo).Assembly);
        return builder.Build();
    }

    public static async Task<TestSilo> StartAsync(Action<SiloOptions>? configure = null, TimeProvider? clock = null)
    {
        var host = Build(configure, clock);
        await host.StartAsync();
        return new TestSilo(host);
    }

    public async Task StopAsync()
    {
        _stopped = true;
        await _host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await _host.StopAsync();
        }

        _host.Dispose();
    }
}
