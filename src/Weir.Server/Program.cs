using Weir.Checkpointing.Configuration;
using Weir.Grains;
using Weir.Hosting.Jobs;
using Weir.Jobs;
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

switch (arguments.Verb)
{
    case "checkpoints":
        return await CheckpointsCommand.RunAsync(arguments, builder.Configuration, Console.Out);
    case "submit":
        return await SubmitCommand.RunAsync(arguments, builder.Configuration, Console.Out);
}

try
{
    builder.Services.AddWeir(builder.Configuration, silo =>
    {
        silo.SiloName = arguments.IsClusterSilo ? $"weir-{arguments.SiloPort}" : "weir-local";
        if (arguments.IsClusterSilo)
        {
            silo.Cluster.ClusterId = arguments.ClusterId;
            silo.Cluster.MembershipDirectory = Path.GetFullPath(arguments.ClusterDirectory!);
            silo.Cluster.SiloPort = arguments.SiloPort!.Value;
            silo.Cluster.GatewayPort = arguments.GatewayPort;
        }
    });
    builder.Services.AddBuiltInJobs();
}
catch (WeirConfigurationException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

// A cluster silo runs a job only if named; an unknown name stops any silo (Spec printed the list).
JobSpec? spec = null;
if (!arguments.IsClusterSilo || arguments.JobName is not null)
{
    spec = RunJobCommand.Spec(arguments, builder.Configuration);
    if (spec is null)
    {
        return 2;
    }
}

using var host = builder.Build();
try
{
    await host.StartAsync();
}
catch (Microsoft.Extensions.Options.OptionsValidationException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
catch (InvalidOperationException e)
{
    // The silo could not start: its port is taken, or its cluster's membership table cannot be joined.
    Console.Error.WriteLine($"The silo could not start: {e.Message}");
    return 1;
}

var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
if (spec is null)
{
    var silo = host.Services.GetRequiredService<IGrainLocator>().LocalSilo;
    Console.WriteLine($"Silo {silo} joined cluster '{arguments.ClusterId}' (membership in {arguments.ClusterDirectory}); gateway on port {arguments.GatewayPort}. Ctrl+C stops it.");
    await host.WaitForShutdownAsync();
    return 0;
}

int exitCode;
try
{
    var command = new RunJobCommand(host.Services.GetRequiredService<IGrainFactory>(), host.Services.GetRequiredService<TimeProvider>(), arguments, Console.Out);
    exitCode = await command.RunAsync(
        spec,
        handle => (host.Services.GetRequiredService<Weir.Hosting.Jobs.JobRegistry>().Factory(spec.JobName) as BuiltInJobFactory)?.RunOf(spec.JobId)?.Start(handle, host.Services.GetRequiredService<TimeProvider>()),
        lifetime.ApplicationStopping);
}
catch (Exception e) when (e is Weir.Checkpointing.Metadata.CorruptCheckpointException or Weir.Checkpointing.Recovery.CheckpointMismatchException or Weir.Storage.CheckpointStoreException or ArgumentException)
{
    Console.Error.WriteLine($"Cannot run the job: {e.Message}");
    exitCode = 1;
}

await host.StopAsync();
return exitCode;
