using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Checkpointing.Configuration;
using Weir.Hosting;

namespace Weir.Hosting.Tests;

/// <summary>A silo running Weir in this process, with checkpoints in a temporary directory.</summary>
internal sealed class TestSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private TestSilo(IHost host, string checkpointDirectory, WeirOptions options)
    {
        _host = host;
        CheckpointDirectory = checkpointDirectory;
        Options = options;
    }

    public string CheckpointDirectory { get; }

    public WeirOptions Options { get; }

    public WeirJobClient Jobs => _host.Services.GetRequiredService<WeirJobClient>();

    public IServiceProvider Services => _host.Services;

    public static Task<TestSilo> StartAsync(params (string Key, string Value)[] settings) => StartAsync(static _ => { }, settings);

    /// <summary>A silo whose services <paramref name="services"/> registers first (Weir's own are added only where none is).</summary>
    public static async Task<TestSilo> StartAsync(Action<IServiceCollection> services, params (string Key, string Value)[] settings)
    {
        var directory = Path.Combine(Path.GetTempPath(), "weir-test-" + Guid.NewGuid().ToString("N")[..8]);
        var options = WeirOptions.Default.With([("execution.checkpointing.dir", directory), .. settings]);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        services(builder.Services);
        builder.Services.AddWeir(options);
        var host = builder.Build();
        await host.StartAsync();
        return new TestSilo(host, directory, options);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        try
        {
            Directory.Delete(CheckpointDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

internal static class ServiceProviderExtensions
{
    public static Weir.Grains.IGrainFactory GetGrainFactory(this IServiceProvider services) => services.GetRequiredService<Weir.Grains.IGrainFactory>();
}
