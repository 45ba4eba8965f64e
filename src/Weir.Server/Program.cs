using Weir.Grains;

var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddJsonFile("appsettings.json", optional: true);
builder.Services.AddWeirSilo(options => options.SiloName = "weir-local");
builder.Services.AddHostedService<SampleDriver>();
using var host = builder.Build();
await host.RunAsync();

/// <summary>A grain that counts greetings: the silo's built-in sample.</summary>
public interface IGreeterGrain : IGrainWithStringKey
{
    /// <summary>Greets and returns how many greetings this grain has answered.</summary>
    Task<int> GreetAsync(string from);
}

/// <summary>Counts greetings per key.</summary>
public sealed class GreeterGrain : Grain, IGreeterGrain
{
    private int _greetings;

    /// <inheritdoc />
    public Task<int> GreetAsync(string from) => Task.FromResult(++_greetings);
}

/// <summary>Calls the sample grain once a second until the host stops (Ctrl+C).</summary>
internal sealed class SampleDriver(IGrainFactory grains, ILogger<SampleDriver> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var greeter = grains.GetGrain<IGreeterGrain>("sample");
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            do
            {
                var count = await greeter.GreetAsync("driver");
                logger.LogInformation("Sample grain {GrainId} answered greeting {Count}", greeter.GetGrainId(), count);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
