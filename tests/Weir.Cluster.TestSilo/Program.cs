using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Cluster.TestSilo;
using Weir.Grains;

// Usage: Weir.Cluster.TestSilo <cluster id> <membership directory> <silo name>
// Prints "READY <silo address> <gateway port>" once joined, then runs until killed or its stdin closes.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: Weir.Cluster.TestSilo <cluster id> <membership directory> <silo name>");
    return 2;
}

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddWeirSilo(o =>
{
    o.SiloName = args[2];
    o.Cluster.ClusterId = args[0];
    o.Cluster.MembershipDirectory = args[1];
    o.Cluster.SiloPort = 0;
    o.Cluster.GatewayPort = 0;
}).AddGrains(typeof(ProcessGrain).Assembly);
using var host = builder.Build();
await host.StartAsync();
var details = host.Services.GetRequiredService<ILocalSiloDetails>();
Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"READY {details.SiloAddress} {details.GatewayEndpoint!.Port}"));
Console.Out.Flush();
var stdinClosed = Task.Run(() => Console.In.ReadToEnd());
await Task.WhenAny(stdinClosed, Task.Delay(Timeout.Infinite, host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping));
await host.StopAsync();
return 0;
