using BenchmarkDotNet.Running;

// BenchmarkDotNet suites: `dotnet run -c Release --project bench/Weir.Benchmarks -- --filter '*'`
// (see bench/README.md for the commands behind each figure).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
