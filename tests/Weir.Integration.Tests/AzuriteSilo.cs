using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Checkpointing.Configuration;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Grains;
using Weir.Hosting;
using Weir.Hosting.Grains;
using Weir.Hosting.Storage;
using Weir.Jobs;
using Weir.Storage;
using Weir.Storage.AzureBlob;
using Weir.Storage.Tests.AzureBlob;

namespace Weir.Integration.Tests;

/// <summary>
/// A silo in this process, set up as <c>AddWeir</c> sets it up for the main command, with
/// <c>execution.checkpointing.dir</c> in a fresh Azurite container and the emulator's
/// connection string in <c>azure.storage.connection-string</c>. A store configuration callback
/// may add pipeline policies (fault injection) to the blob stores the silo opens.
/// </summary>
internal sealed class AzuriteSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private AzuriteSilo(IHost host, string directory, WeirOptions options)
    {
        _host = host;
        CheckpointDirectory = directory;
        Options = options;
    }

    public string CheckpointDirectory { get; }

    public WeirOptions Options { get; }

    public WeirJobClient Jobs => _host.Services.GetRequiredService<WeirJobClient>();

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public ICheckpointStore Store => _host.Services.GetRequiredService<ICheckpointStoreFactory>().Open(CheckpointDirectory);

    public static async Task<AzuriteSilo> StartAsync(
        AzuriteFixture azurite,
        string container,
        (string Key, string Value)[] settings,
        Action<BlobCheckpointStoreOptions>? configureStore = null,
        ILoggerProvider? logs = null)
    {
        var directory = azurite.LocationOf(container, "checkpoints").ToString().TrimEnd('/');
        var options = WeirOptions.Default.With(
        [
            ("execution.checkpointing.dir", directory),
            ("azure.storage.connection-string", azurite.ConnectionString),
            .. settings,
        ]);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        }

        if (configureStore is not null)
        {
            // Registered before AddWeir, so the factory picks it over the default blob provider.
            builder.Services.AddSingleton<ICheckpointStoreProvider>(
                provider => new BlobCheckpointStoreProvider(options.AzureStorage, provider.GetService<ILoggerFactory>(), configureStore));
        }

        builder.Services.AddWeir(options);
        var host = builder.Build();
        await host.StartAsync();
        return new AzuriteSilo(host, directory, options);
    }

    /// <summary>Submits a built-in job with the settings it needs (a restart strategy for failure injection) on top of the silo's.</summary>
    public async Task<(JobHandle Handle, JobRun Run, WeirOptions Options)> SubmitAsync(BuiltInJob job, JobParameters parameters, string jobId)
    {
        var options = Options.With([.. job.DefaultSettings(parameters)]);
        var run = job.Create(parameters, options);
        var handle = await Jobs.SubmitAsync(run.Graph, new JobSubmitOptions(jobId, options));
        return (handle, run, options);
    }

    /// <summary>
    /// Takes one last checkpoint, as the main command does at the end of <c>--run-for</c>: triggers
    /// until one completes (a trigger may fail under faults), then returns it.
    /// </summary>
    public async Task<CompletedCheckpoint?> StopWithCheckpointAsync(JobHandle job, TimeSpan timeout)
    {
        var coordinator = Grains.GetGrain<ICheckpointCoordinatorGrain>(job.JobId);
        return await coordinator.TakeCheckpointAsync(CheckpointKind.Checkpoint, TimeProvider.System, timeout)
            ?? await coordinator.GetLatestCompletedAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
