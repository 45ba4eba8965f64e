using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Benchmarks.State;
using Weir.Serialization;
using Weir.Storage;
using Weir.Storage.FileSystem;
using Weir.Streaming.State;
using Weir.Streaming.State.Changelog;
using Weir.Streaming.Tasks;

namespace Weir.Benchmarks.Incremental;

/// <summary>
/// <c>incremental</c>: incremental (changelog) checkpoints against full ones on the same keyed
/// state, through the real parts: a <see cref="HeapKeyedStateBackend{TKey}"/> of <c>--state-mb</c>
/// MiB (1 KiB random values under long keys, 128 key groups), its <see cref="KeyedStateChangelog"/>
/// (or a full <see cref="KeyedStateSnapshot"/>), a <see cref="CheckpointCoordinator"/> with its
/// shared-state registry (num-retained 1), all on a <see cref="FileSystemCheckpointStore"/> in a
/// temporary directory. Between checkpoints <c>--change-percent</c> of the keys get new values;
/// each checkpoint is timed from trigger to completion (<c>_metadata</c> written: the coordinator's
/// own duration, as its statistics report it; discarding the checkpoint it subsumes comes after), the sync part
/// alone too. Per mode: bytes changed, uploaded by checkpoints, stored (peak over the run),
/// checkpoint percentiles, and the restore of the last checkpoint into a fresh backend.
/// </summary>
internal sealed class IncrementalCommand : IBenchCommand
{
    private const string JobId = "bench";
    private const string Uid = "state";

    /// <summary><c>WEIR_BENCH_VERBOSE=1</c>: print every checkpoint, what the store holds and the restore's parts.</summary>
    private static readonly bool Verbose = Environment.GetEnvironmentVariable("WEIR_BENCH_VERBOSE") is "1";

    public string Name => "incremental";

    public string Description => "incremental vs full checkpoints of keyed state (--state-mb 256 --change-percent 1 --checkpoints 50 --json <file>)";

    public async Task<int> RunAsync(string[] args)
    {
        var settings = Settings.Parse(args);
        if (settings is null)
        {
            await Console.Error.WriteLineAsync($"usage: incremental [--state-mb <MiB, default 256>] [--change-percent <p, default 1>] [--checkpoints <k, default 50>] [--max-chain <n, default 8>] [--interval-ms <ms between checkpoint starts, default 1000>] [--json <file, default {Settings.DefaultJson}>] [--dir <directory, default a temporary one>]");
            return 2;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"incremental: {settings.StateMb} MiB of keyed state, {settings.ChangePercent} % changed between {settings.Checkpoints} checkpoints {settings.IntervalMs} ms apart, max delta chain {settings.MaxChain}"));
        var incremental = await MeasureAsync(settings, incremental: true);
        Print("incremental", incremental);
        var full = await MeasureAsync(settings, incremental: false);
        Print("full", full);

        var report = new Report(
            Command: $"dotnet run -c Release --project bench/Weir.Benchmarks -- incremental --state-mb {settings.StateMb} --change-percent {settings.ChangePercent.ToString(CultureInfo.InvariantCulture)} --checkpoints {settings.Checkpoints} --max-chain {settings.MaxChain} --interval-ms {settings.IntervalMs} --json {settings.Json}",
            Machine: $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}",
            StateMb: settings.StateMb,
            ChangePercent: settings.ChangePercent,
            Checkpoints: settings.Checkpoints,
            MaxDeltaChainLength: settings.MaxChain,
            IntervalMs: settings.IntervalMs,
            KeyGroups: PayloadState.MaxParallelism,
            ValueSize: PayloadState.ValueSize,
            StateBytes: incremental.StateBytes,
            ChangedBytesPerCheckpoint: incremental.ChangedBytesPerCheckpoint,
            UploadedBytesPerCheckpoint: incremental.UploadedBytesPerCheckpoint,
            UploadRatio: incremental.UploadRatio,
            StoredBytes: incremental.StoredBytes,
            StoredRatio: incremental.StoredRatio,
            CheckpointP50Ms: incremental.CheckpointP50Ms,
            CheckpointP99Ms: incremental.CheckpointP99Ms,
            RestoreMs: incremental.RestoreMs,
            Incremental: incremental,
            Full: full,
            P99SpeedupOverFull: Math.Round(full.CheckpointP99Ms / incremental.CheckpointP99Ms, 1),
            Goals: new Goals(
                UploadRatioAtMost1_1: incremental.UploadRatio <= 1.1,
                StoredRatioAtMost1_5: incremental.StoredRatio <= 1.5,
                P99AtLeast10xLowerThanFull: full.CheckpointP99Ms >= 10 * incremental.CheckpointP99Ms));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"checkpoint p99: incremental {incremental.CheckpointP99Ms} ms, full {full.CheckpointP99Ms} ms ({report.P99SpeedupOverFull}x); goals: upload ratio <= 1.1 {report.Goals.UploadRatioAtMost1_1}, stored ratio <= 1.5 {report.Goals.StoredRatioAtMost1_5}, p99 >= 10x lower {report.Goals.P99AtLeast10xLowerThanFull}"));

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.Json))!);
        await File.WriteAllTextAsync(settings.Json, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
        Console.WriteLine($"wrote {Path.GetFullPath(settings.Json)}");
        return 0;
    }

    private static async Task<Figures> MeasureAsync(Settings settings, bool incremental)
    {
        var directory = settings.Directory ?? Path.Combine(Path.GetTempPath(), $"weir-bench-incremental-{Guid.NewGuid():N}");
        var mode = incremental ? "incremental" : "full";
        var store = new FileSystemCheckpointStore(Path.Combine(directory, mode));
        try
        {
            var build = Stopwatch.StartNew();
            var (backend, state, keys) = PayloadState.Build(settings.StateMb * 1024L * 1024L);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode}: built {keys:N0} entries in {build.Elapsed.TotalSeconds:0.0} s"));

            var job = new BenchJob(store, backend, incremental ? new ChangelogOptions(TimeSpan.FromHours(1), settings.MaxChain, RestoredStateOwned: false) : null);
            var random = new Random(7);
            var changed = (int)Math.Max(1, keys * settings.ChangePercent / 100.0);
            var keySerializer = Serializers.Get<long>();
            var valueSerializer = Serializers.Get<byte[]>();
            var sizer = new DataWriter(2 * PayloadState.ValueSize);

            // Checkpoint 1 of each mode holds the whole state (the first delta, or the first full
            // snapshot); what the figures are about is the steady state after it.
            await job.CheckpointAsync();
            var stateBytes = await FullSizeAsync(backend);
            var durations = new List<double>();
            var syncDurations = new List<double>();
            long changedBytes = 0, uploadedBytes = 0, storedPeak = 0;
            for (var n = 0; n < settings.Checkpoints; n++)
            {
                var started = Stopwatch.GetTimestamp();
                storedPeak = Math.Max(storedPeak, await StoredBytesAsync(store));
                var picked = new HashSet<long>();
                while (picked.Count < changed)
                {
                    picked.Add(random.NextInt64(keys));
                }

                foreach (var key in picked)
                {
                    var value = new byte[PayloadState.ValueSize];
                    random.NextBytes(value);
                    backend.SetCurrentKey(key);
                    state.Update(value);
                    sizer.Reset();
                    keySerializer.Write(sizer, key);
                    valueSerializer.Write(sizer, value);
                    changedBytes += sizer.Length;
                }

                var result = await job.CheckpointAsync();
                durations.Add(result.Total.TotalMilliseconds);
                syncDurations.Add(result.Sync.TotalMilliseconds);
                uploadedBytes += result.Uploaded;
                storedPeak = Math.Max(storedPeak, await StoredBytesAsync(store));
                var rest = TimeSpan.FromMilliseconds(settings.IntervalMs) - Stopwatch.GetElapsedTime(started);
                if (rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest);
                }
            }

            // Let a running materialization land, as the next checkpoint would see it.
            await job.SettleAsync();
            var storedFinal = await StoredBytesAsync(store);
            var restoreMs = await RestoreMsAsync(store, job.LatestMetadataPath);
            var figures = new Figures(
                StateBytes: stateBytes,
                ChangedBytesPerCheckpoint: changedBytes / settings.Checkpoints,
                UploadedBytesPerCheckpoint: uploadedBytes / settings.Checkpoints,
                UploadRatio: Math.Round((double)uploadedBytes / changedBytes, 3),
                StoredBytes: storedPeak,
                StoredFinalBytes: storedFinal,
                StoredRatio: Math.Round((double)storedPeak / stateBytes, 3),
                CheckpointP50Ms: Percentile(durations, 0.50),
                CheckpointP99Ms: Percentile(durations, 0.99),
                CheckpointMaxMs: Math.Round(durations.Max(), 2),
                SyncP50Ms: Percentile(syncDurations, 0.50),
                SyncP99Ms: Percentile(syncDurations, 0.99),
                RestoreMs: restoreMs,
                MaterializedBytesPerCheckpoint: job.MaterializedBytes / settings.Checkpoints,
                LongestChain: job.LongestChain);
            job.Dispose();
            return figures;
        }
        finally
        {
            if (settings.Directory is null)
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>The serialized size of the live state: what a full snapshot holds.</summary>
    private static async Task<long> FullSizeAsync(HeapKeyedStateBackend<long> backend)
    {
        using var snapshot = backend.Snapshot();
        return (await snapshot.WriteAsync(new DiscardingStore(), "size", CancellationToken.None)).StateSize;
    }

    private static async Task<long> StoredBytesAsync(ICheckpointStore store)
    {
        long bytes = 0;
        var byKind = new SortedDictionary<string, (int Files, long Bytes)>(StringComparer.Ordinal);
        await foreach (var file in store.ListFilesAsync(JobId))
        {
            bytes += file.Length;
            var kind = Path.GetExtension(file.Path) is { Length: > 0 } extension ? extension : Path.GetFileName(file.Path);
            var (files, sum) = byKind.GetValueOrDefault(kind);
            byKind[kind] = (files + 1, sum + file.Length);
        }

        if (Verbose)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  stored {bytes / 1048576.0:0.0} MiB: {string.Join(", ", byKind.Select(k => $"{k.Key} {k.Value.Files} files {k.Value.Bytes / 1048576.0:0.0} MiB"))}"));
        }

        return bytes;
    }

    private static async Task<double> RestoreMsAsync(ICheckpointStore store, string metadataPath)
    {
        GC.Collect();
        var clock = Stopwatch.StartNew();
        var checkpoint = await CheckpointLocator.LoadAsync(store, metadataPath);
        var (backend, _) = PayloadState.Create();
        var pausedBefore = GC.GetTotalPauseDuration();
        var keyGroups = checkpoint.Metadata.Operators.Single().Subtasks.Single().KeyedState!.KeyGroups;
        await KeyedStateRestore.RestoreAsync(store, backend, keyGroups, CancellationToken.None);
        if (Verbose)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  restore: {keyGroups.Sum(k => k.Segments.Count)} segments in {keyGroups.SelectMany(k => k.Segments).Select(s => s.Path).Distinct().Count()} files, {clock.Elapsed.TotalMilliseconds:0} ms, GC pauses {(GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds:0} ms"));
        }

        return Math.Round(clock.Elapsed.TotalMilliseconds, 1);
    }

    private static double Percentile(List<double> values, double p) => Math.Round(Quantiles.Percentile([.. values.Order()], p), 2);

    private static void Print(string mode, Figures f) => Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"{mode}: state {f.StateBytes / 1048576.0:0.0} MiB; per checkpoint changed {f.ChangedBytesPerCheckpoint / 1048576.0:0.00} MiB, uploaded {f.UploadedBytesPerCheckpoint / 1048576.0:0.00} MiB (ratio {f.UploadRatio}), materialized in the background {f.MaterializedBytesPerCheckpoint / 1048576.0:0.00} MiB; stored peak {f.StoredBytes / 1048576.0:0.0} MiB (ratio {f.StoredRatio}), final {f.StoredFinalBytes / 1048576.0:0.0} MiB; checkpoint p50 {f.CheckpointP50Ms} ms, p99 {f.CheckpointP99Ms} ms, max {f.CheckpointMaxMs} ms; sync p50 {f.SyncP50Ms} ms, p99 {f.SyncP99Ms} ms; restore {f.RestoreMs} ms; longest chain {f.LongestChain}"));

    /// <summary>One keyed subtask and the coordinator of its job, checkpointing the way a task's checkpointer and the coordinator grain do.</summary>
    private sealed class BenchJob : ICheckpointGateway, IDisposable
    {
        private static readonly TaskKey Task0 = new(Uid, 0);
        private readonly ICheckpointStore _store;
        private readonly HeapKeyedStateBackend<long> _backend;
        private readonly KeyedStateChangelog? _changelog;
        private readonly CheckpointCoordinator _coordinator;

        public BenchJob(ICheckpointStore store, HeapKeyedStateBackend<long> backend, ChangelogOptions? changelog)
        {
            _store = store;
            _backend = backend;
            _changelog = changelog is null ? null : new KeyedStateChangelog(backend, store, JobId, Uid, 0, changelog, TimeProvider.System, restored: null);
            _coordinator = new CheckpointCoordinator(new CoordinatorSettings(null, TimeSpan.FromMinutes(10), TimeSpan.Zero, 1, 0, 1), store, this, TimeProvider.System, NullLogger.Instance);
            _coordinator.Start(new CoordinatorPlan(JobId, JobId, new Dictionary<string, OperatorDescriptor> { [Uid] = new(Uid, Uid, 1, PayloadState.MaxParallelism) }, [Task0], [Task0]), 1);
        }

        public long MaterializedBytes => _changelog?.MaterializedBytes ?? 0;

        public int LongestChain => _changelog?.LongestChain ?? 0;

        public string LatestMetadataPath => _coordinator.LatestCompleted!.MetadataPath;

        /// <summary>Trigger, synchronous part, asynchronous part, acknowledgement, completion.</summary>
        public async Task<(TimeSpan Total, TimeSpan Sync, long Uploaded)> CheckpointAsync()
        {
            var started = Stopwatch.GetTimestamp();
            var id = await _coordinator.TriggerAsync(CheckpointKind.Checkpoint) ?? throw new InvalidOperationException("The coordinator did not trigger.");
            IKeyedStateSnapshot snapshot = _changelog is not null ? _changelog.Capture(id) : _backend.Snapshot();
            var sync = Stopwatch.GetElapsedTime(started);
            KeyedStateHandle handle;
            try
            {
                handle = await snapshot.WriteAsync(_store, $"{CheckpointLayout.CheckpointDirectory(JobId, id)}/{Uid}-0", CancellationToken.None);
            }
            finally
            {
                snapshot.Dispose();
            }

            var written = Stopwatch.GetElapsedTime(started);
            var ack = new TaskCheckpointAck(new Dictionary<string, SubtaskStateSnapshot> { [Uid] = new(0, handle, []) }, sync, written - sync);
            await _coordinator.ReceiveAcknowledgeAsync(Task0, id, ack);
            if (Verbose)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  checkpoint {id}: sync {sync.TotalMilliseconds:0.0} ms, written {written.TotalMilliseconds:0.0} ms, complete {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0} ms, materializing {_changelog?.IsMaterializing}, gen2 {GC.CollectionCount(2)}"));
            }
            if (_coordinator.LatestCompleted?.CheckpointId != id)
            {
                throw new InvalidOperationException($"Checkpoint {id} did not complete.");
            }

            var uploaded = snapshot is ChangelogSnapshot incremental ? incremental.DeltaBytes + incremental.MaterializedBytes : handle.StateSize;
            return (_coordinator.LatestCompleted.Duration, sync, uploaded);
        }

        public async Task SettleAsync()
        {
            if (_changelog is not null)
            {
                await _changelog.MaterializationUpload.ContinueWith(static _ => { }, TaskScheduler.Default);
                await _changelog.Deletes;
            }
        }

        public Task TriggerCheckpointAsync(TaskKey source, long checkpointId, DateTimeOffset timestamp, CheckpointKind kind) => Task.CompletedTask;

        public void NotifyCheckpointComplete(TaskKey task, long checkpointId) => _changelog?.NotifyComplete(checkpointId);

        public void NotifyCheckpointAborted(TaskKey task, long checkpointId) => _changelog?.NotifyAborted(checkpointId);

        public void FailJob(string reason) => throw new InvalidOperationException(reason);

        public void Dispose() => _changelog?.Dispose();
    }

    private sealed record Settings(int StateMb, double ChangePercent, int Checkpoints, int MaxChain, int IntervalMs, string Json, string? Directory)
    {
        public const string DefaultJson = "BenchmarkDotNet.Artifacts/results/incremental.json";

        /// <summary>The settings, or null (after printing why) when the arguments are not valid.</summary>
        public static Settings? Parse(string[] args)
        {
            try
            {
                var arguments = CommandArguments.Parse(args, ["--state-mb", "--change-percent", "--checkpoints", "--max-chain", "--interval-ms", "--json", "--dir"]);
                return new Settings(
                    StateMb: arguments.Integer("--state-mb", 256, 1),
                    ChangePercent: arguments.Number("--change-percent", 1, 0, 100),
                    Checkpoints: arguments.Integer("--checkpoints", 50, 1),
                    MaxChain: arguments.Integer("--max-chain", 8, 1),
                    IntervalMs: arguments.Integer("--interval-ms", 1000, 0),
                    Json: arguments.Text("--json") ?? DefaultJson,
                    Directory: arguments.Text("--dir"));
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine(e.Message);
                return null;
            }
        }
    }

    internal sealed record Figures(
        long StateBytes,
        long ChangedBytesPerCheckpoint,
        long UploadedBytesPerCheckpoint,
        double UploadRatio,
        long StoredBytes,
        long StoredFinalBytes,
        double StoredRatio,
        double CheckpointP50Ms,
        double CheckpointP99Ms,
        double CheckpointMaxMs,
        double SyncP50Ms,
        double SyncP99Ms,
        double RestoreMs,
        long MaterializedBytesPerCheckpoint,
        int LongestChain);

    internal sealed record Goals(bool UploadRatioAtMost1_1, bool StoredRatioAtMost1_5, bool P99AtLeast10xLowerThanFull);

    internal sealed record Report(
        string Command,
        string Machine,
        int StateMb,
        double ChangePercent,
        int Checkpoints,
        int MaxDeltaChainLength,
        int IntervalMs,
        int KeyGroups,
        int ValueSize,
        long StateBytes,
        long ChangedBytesPerCheckpoint,
        long UploadedBytesPerCheckpoint,
        double UploadRatio,
        long StoredBytes,
        double StoredRatio,
        double CheckpointP50Ms,
        double CheckpointP99Ms,
        double RestoreMs,
        Figures Incremental,
        Figures Full,
        double P99SpeedupOverFull,
        Goals Goals);
}
