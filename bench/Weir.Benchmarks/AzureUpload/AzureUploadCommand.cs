using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Weir.Benchmarks.State;
using Weir.Storage.AzureBlob;
using Weir.Streaming.State;
using Weir.Testing.Azurite;

namespace Weir.Benchmarks.AzureUpload;

/// <summary>
/// <c>azure-upload</c>: how fast a checkpoint of keyed state reaches Azure Blob storage, against
/// what the same client does with raw bytes. Starts Azurite itself, then per run:
/// <list type="number">
/// <item>checkpoint: snapshot a <see cref="HeapKeyedStateBackend{TKey}"/> of <c>--state-mb</c> MiB
/// (128 key groups, 1 KiB values) and write it through <see cref="KeyedStateSnapshot.WriteAsync"/>
/// to a <see cref="BlobCheckpointStore"/>: serialization, CRC-32C per key group, Put Blocks
/// staged by the store's upload, one Put Block List;</item>
/// <item>raw: the same number of bytes as sequential Put Blocks of the store's block size through
/// the store's own <c>BlobRestClient</c>, one at a time, then one Put Block List.</item>
/// </list>
/// The ratio is checkpoint throughput over raw throughput (medians; each run's own ratio too,
/// since on a shared machine neighbours' load moves both sides). A breakdown times the
/// snapshot's parts without the network (capture; serialize + checksum into a null stream) and
/// raw Put Blocks with the store's concurrency, to show where time goes.
/// </summary>
internal sealed class AzureUploadCommand : IBenchCommand
{
    private const double Goal = 0.8;

    public string Name => "azure-upload";

    public string Description => "checkpoint of keyed state to Azurite vs raw sequential Put Block (--state-mb 256 --runs 3 --out <json>)";

    public async Task<int> RunAsync(string[] args)
    {
        var settings = Settings.Parse(args);
        if (settings is null)
        {
            await Console.Error.WriteLineAsync($"usage: azure-upload [--state-mb <MiB, default 256>] [--runs <n, default 3>] [--out <file.json, default {Settings.DefaultOut}>]");
            return 2;
        }

        Console.WriteLine($"azure-upload: {settings.StateMb} MiB of keyed state, {settings.Runs} runs; starting Azurite...");
        await using var azurite = await AzuriteProcess.StartAsync();
        var container = AzuriteProcess.NewContainerName("bench");
        var store = BlobCheckpointStore.Create(azurite.LocationOf(container, "checkpoints"), new BlobCheckpointStoreOptions { ConnectionString = azurite.ConnectionString });
        var defaults = new BlobCheckpointStoreOptions();
        var (blockSize, maxInFlight) = (defaults.BlockSize, defaults.MaxBlocksInFlight);

        var build = Stopwatch.StartNew();
        var (backend, _, entries) = PayloadState.Build(settings.StateMb * 1024L * 1024L);
        Console.WriteLine($"built {entries:N0} entries in {build.Elapsed.TotalSeconds:0.0} s; Azurite on port {azurite.Port}, block size {blockSize / (1024 * 1024)} MiB, {maxInFlight} blocks in flight per write");

        // Warm-up: JIT, connections, Azurite's first container and blobs.
        var stateBytes = (await CheckpointAsync(backend, store, "warmup/state")).Bytes;
        await RawAsync(store, "warmup/raw", 64L * 1024 * 1024, blockSize, inFlight: 1);

        var runs = new List<Run>();
        for (var i = 0; i < settings.Runs; i++)
        {
            // Alternate the order, so drift (GC, Azurite's memory) does not favour one side.
            Measurement checkpoint, raw;
            if (i % 2 == 0)
            {
                checkpoint = await CheckpointAsync(backend, store, $"run-{i}/state");
                raw = await RawAsync(store, $"run-{i}/raw", stateBytes, blockSize, inFlight: 1);
            }
            else
            {
                raw = await RawAsync(store, $"run-{i}/raw", stateBytes, blockSize, inFlight: 1);
                checkpoint = await CheckpointAsync(backend, store, $"run-{i}/state");
            }

            runs.Add(new Run(i, checkpoint, raw, checkpoint.MiBPerSecond / raw.MiBPerSecond));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {i}: checkpoint {checkpoint.Bytes / 1048576.0:0.0} MiB in {checkpoint.Seconds:0.000} s = {checkpoint.MiBPerSecond:0.0} MiB/s; raw sequential Put Block {raw.Bytes / 1048576.0:0.0} MiB in {raw.Seconds:0.000} s = {raw.MiBPerSecond:0.0} MiB/s; ratio {runs[^1].Ratio:0.00}"));
        }

        // Where the checkpoint's time goes, without the network.
        var capture = Stopwatch.StartNew();
        using (backend.Snapshot())
        {
            capture.Stop();
        }

        var encode = await EncodeOnlyAsync(backend);
        var rawParallel = await RawAsync(store, "breakdown/raw-parallel", stateBytes, blockSize, inFlight: maxInFlight);

        var medianCheckpoint = Quantiles.Median(runs.Select(r => r.Checkpoint.MiBPerSecond));
        var medianRaw = Quantiles.Median(runs.Select(r => r.Raw.MiBPerSecond));
        var report = new Report(
            Command: $"dotnet run -c Release --project bench/Weir.Benchmarks -- azure-upload --state-mb {settings.StateMb} --runs {settings.Runs}",
            Machine: $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}",
            StateBytes: stateBytes,
            KeyGroups: PayloadState.MaxParallelism,
            ValueSize: PayloadState.ValueSize,
            BlockSize: blockSize,
            MaxBlocksInFlight: maxInFlight,
            Runs: runs,
            CheckpointMedianMiBPerSecond: Math.Round(medianCheckpoint, 1),
            RawSequentialMedianMiBPerSecond: Math.Round(medianRaw, 1),
            Ratio: Math.Round(medianCheckpoint / medianRaw, 3),
            MedianOfRunRatios: Math.Round(Quantiles.Median(runs.Select(r => r.Ratio)), 3),
            Goal: Goal,
            Breakdown: new Breakdown(
                CaptureMs: Math.Round(capture.Elapsed.TotalMilliseconds, 2),
                SerializeAndChecksumSeconds: Math.Round(encode.Seconds, 3),
                SerializeAndChecksumMiBPerSecond: Math.Round(encode.MiBPerSecond, 1),
                RawParallelPutBlockMiBPerSecond: Math.Round(rawParallel.MiBPerSecond, 1)));

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"median: checkpoint {report.CheckpointMedianMiBPerSecond} MiB/s, raw sequential Put Block {report.RawSequentialMedianMiBPerSecond} MiB/s, ratio {report.Ratio} (goal >= {Goal}); median of the runs' ratios {report.MedianOfRunRatios}"));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"breakdown: capture {report.Breakdown.CaptureMs} ms; serialize + CRC-32C only {report.Breakdown.SerializeAndChecksumMiBPerSecond} MiB/s; raw Put Block with {maxInFlight} in flight {report.Breakdown.RawParallelPutBlockMiBPerSecond} MiB/s"));

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.Out))!);
        await File.WriteAllTextAsync(settings.Out, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"wrote {Path.GetFullPath(settings.Out)}");
        return 0;
    }

    /// <summary>The real snapshot path: capture, then write the key groups to the store.</summary>
    private static async Task<Measurement> CheckpointAsync(HeapKeyedStateBackend<long> backend, BlobCheckpointStore store, string path)
    {
        var clock = Stopwatch.StartNew();
        using var snapshot = backend.Snapshot();
        var handle = await snapshot.WriteAsync(store, path, CancellationToken.None);
        clock.Stop();
        var bytes = handle.StateSize;
        await store.DeleteAsync(path);
        return new Measurement(bytes, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Put Blocks of <paramref name="bytes"/> through the store's client, <paramref name="inFlight"/> at a time, then one Put Block List.</summary>
    private static async Task<Measurement> RawAsync(BlobCheckpointStore store, string path, long bytes, int blockSize, int inFlight)
    {
        var client = store.Client;
        var blob = store.BlobNameOf(path);
        var block = new byte[blockSize];
        new Random(7).NextBytes(block);
        var uploadId = Guid.NewGuid().ToString("N");
        var ids = new List<string>();
        var running = new List<Task>();
        var clock = Stopwatch.StartNew();
        for (long offset = 0; offset < bytes; offset += blockSize)
        {
            var length = (int)Math.Min(blockSize, bytes - offset);
            var id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{uploadId}-{ids.Count.ToString("D6", CultureInfo.InvariantCulture)}"));
            ids.Add(id);
            running.Add(client.PutBlockAsync(store.ContainerName, blob, id, block.AsMemory(0, length)));
            if (running.Count == inFlight)
            {
                await Task.WhenAny(running);
                foreach (var done in running.Where(t => t.IsCompleted).ToArray())
                {
                    await done;
                    running.Remove(done);
                }
            }
        }

        await Task.WhenAll(running);
        await client.PutBlockListAsync(store.ContainerName, blob, ids);
        clock.Stop();
        await store.DeleteAsync(path);
        return new Measurement(bytes, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The snapshot's encoding alone: serialization and checksums into a stream that drops the bytes.</summary>
    private static async Task<Measurement> EncodeOnlyAsync(HeapKeyedStateBackend<long> backend)
    {
        var clock = Stopwatch.StartNew();
        using var snapshot = backend.Snapshot();
        var handle = await snapshot.WriteAsync(new DiscardingStore(), "encode", CancellationToken.None);
        return new Measurement(handle.StateSize, clock.Elapsed.TotalSeconds);
    }

    private sealed record Settings(int StateMb, int Runs, string Out)
    {
        public const string DefaultOut = "BenchmarkDotNet.Artifacts/results/azure-upload.json";

        /// <summary>The settings, or null (after printing why) when the arguments are not valid.</summary>
        public static Settings? Parse(string[] args)
        {
            try
            {
                var arguments = CommandArguments.Parse(args, ["--state-mb", "--runs", "--out"]);
                return new Settings(arguments.Integer("--state-mb", 256, 1), arguments.Integer("--runs", 3, 1), arguments.Text("--out") ?? DefaultOut);
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine(e.Message);
                return null;
            }
        }
    }

    internal sealed record Measurement(long Bytes, double Seconds)
    {
        public double MiBPerSecond => Bytes / 1048576.0 / Seconds;
    }

    internal sealed record Run(int Index, Measurement Checkpoint, Measurement Raw, double Ratio);

    internal sealed record Breakdown(double CaptureMs, double SerializeAndChecksumSeconds, double SerializeAndChecksumMiBPerSecond, double RawParallelPutBlockMiBPerSecond);

    internal sealed record Report(
        string Command,
        string Machine,
        long StateBytes,
        int KeyGroups,
        int ValueSize,
        int BlockSize,
        int MaxBlocksInFlight,
        IReadOnlyList<Run> Runs,
        double CheckpointMedianMiBPerSecond,
        double RawSequentialMedianMiBPerSecond,
        double Ratio,
        double MedianOfRunRatios,
        double Goal,
        Breakdown Breakdown);
}
