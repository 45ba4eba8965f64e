using Weir.Checkpointing.Configuration;
using Weir.Server.Cli;
using Weir.Server.Commands;

ServerArguments arguments;
try
{
    arguments = ServerArguments.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(ServerArguments.Usage);
    return 2;
}

if (arguments.Help)
{
    Console.WriteLine(ServerArguments.Usage);
    return 0;
}

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = Directory.GetCurrentDirectory() });

// The embedded defaults sit below every other source: appsettings.json in the working directory,
// environment variables (Weir__...) and the command line (--Weir:...) override them.
builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
{
    Path = "appsettings.defaults.json",
    Optional = true,
    FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(AppContext.BaseDirectory),
});

if (arguments.Verb == "checkpoints")
{
    return await CheckpointsCommand.RunAsync(arguments, builder.Configuration, Console.Out);
}

try
{
    builder.Services.AddWeir(builder.Configuration, silo => silo.SiloName = "weir-local");
}
catch (WeirConfigurationException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var host = builder.Build();
await host.StartAsync();
var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
int exitCode;
try
{
    exitCode = await new RunJobCommand(host.Services, builder.Configuration, arguments, Console.Out).RunAsync(lifetime.ApplicationStopping);
}
catch (Exception e) when (e is Weir.Checkpointing.Metadata.CorruptCheckpointException or Weir.Checkpointing.Recovery.CheckpointMismatchException or Weir.Storage.CheckpointStoreException or ArgumentException)
{
    Console.Error.WriteLine($"Cannot run the job: {e.Message}");
    exitCode = 1;
}

await host.StopAsync();
return exitCode;
