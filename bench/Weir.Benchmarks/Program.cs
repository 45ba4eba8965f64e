using BenchmarkDotNet.Running;
using Weir.Benchmarks;

// Subcommands run end-to-end measurements of their own, e.g.
//   dotnet run -c Release --project bench/Weir.Benchmarks -- azure-upload --state-mb 256
// anything else goes to BenchmarkDotNet's switcher, e.g.
//   dotnet run -c Release --project bench/Weir.Benchmarks -- --filter '*'
// (see bench/README.md for the commands behind each figure).
if (args.Length > 0 && BenchCommands.Find(args[0]) is { } command)
{
    return await command.RunAsync(args[1..]);
}

if (args is ["--list-commands"])
{
    Console.WriteLine(BenchCommands.Describe());
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
