using Microsoft.Extensions.Logging.Abstractions;
using Weir.Checkpointing.Configuration;
using Weir.Client;
using Weir.Server.Cli;

namespace Weir.Server.Commands;

/// <summary><c>submit</c>: connects to a cluster through a silo's gateway with a grain client, runs a built-in job there, and prints what the job prints.</summary>
internal static class SubmitCommand
{
    public static async Task<int> RunAsync(ServerArguments arguments, IConfiguration configuration, TextWriter output)
    {
        var spec = RunJobCommand.Spec(arguments, configuration);
        if (spec is null)
        {
            return 2;
        }

        await using var client = CreateClient(arguments, spec);
        if (client is null)
        {
            return 2;
        }

        using var stopping = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stopping.Cancel();
        };

        try
        {
            await client.ConnectAsync();
            await output.WriteLineAsync($"Connected to cluster '{arguments.ClusterId}' through gateway {client.Gateway} (silo {client.GatewaySilo}).");
            return await new RunJobCommand(client, TimeProvider.System, arguments, output).RunAsync(spec, attach: null, stopping.Token);
        }
        catch (Exception e) when (e is Weir.Grains.SiloUnavailableException or Weir.Grains.GrainCallException or TimeoutException or ArgumentException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"Cannot run the job on the cluster: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// Bad input stops here, before the cluster sees it: the overrides (the silos apply them to
    /// their own configuration) and the gateway addresses. Null, with the reason printed, if either is bad.
    /// </summary>
    private static WeirClient? CreateClient(ServerArguments arguments, Weir.Hosting.Jobs.JobSpec spec)
    {
        try
        {
            spec.Apply(WeirOptions.Default);
            var options = new WeirClientOptions { ClusterId = arguments.ClusterId };
            foreach (var gateway in arguments.Gateways)
            {
                options.Gateways.Add(gateway);
            }

            return new WeirClient(options, NullLoggerFactory.Instance);
        }
        catch (Exception e) when (e is WeirConfigurationException or ArgumentException)
        {
            Console.Error.WriteLine(e.Message);
            return null;
        }
    }
}
