using System.Globalization;
using Weir.Checkpointing.Configuration;
using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Hosting.Storage;
using Weir.Server.Cli;
using Weir.Storage;

namespace Weir.Server.Commands;

/// <summary><c>checkpoints list</c> and <c>checkpoints inspect</c>: read a checkpoint directory without running anything.</summary>
internal static class CheckpointsCommand
{
    public static async Task<int> RunAsync(ServerArguments arguments, IConfiguration configuration, TextWriter output)
    {
        try
        {
            var stores = CheckpointStores.Create(configuration);
            return arguments.SubVerb == "list"
                ? await ListAsync(stores.Open(arguments.Directory!), output)
                : await InspectAsync(stores, arguments.Path!, output);
        }
        catch (Exception e) when (e is CorruptCheckpointException or CheckpointStoreException or ArgumentException or WeirConfigurationException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 1;
        }
    }

    private static async Task<int> ListAsync(ICheckpointStore store, TextWriter output)
    {
        var found = 0;
        foreach (var jobId in await store.ListDirectoriesAsync(string.Empty))
        {
            foreach (var id in (await CheckpointLocator.ListCheckpointIdsAsync(store, jobId)).Reverse())
            {
                found++;
                var directory = CheckpointLayout.CheckpointDirectory(jobId, id);
                var files = await FilesAsync(store, directory);
                var metadataPath = CheckpointLayout.MetadataPath(jobId, id);
                if (files.All(f => f.Path != metadataPath))
                {
                    await output.WriteLineAsync(Line(jobId, id, files.Count == 0 ? null : files.Max(f => f.LastModified), files.Sum(f => f.Length), files.Count, "in progress (no _metadata)"));
                    continue;
                }

                try
                {
                    var checkpoint = await CheckpointLocator.LoadAsync(store, metadataPath);
                    var referenced = checkpoint.Metadata.ReferencedFiles();
                    var size = checkpoint.Metadata.StateSize + files.First(f => f.Path == metadataPath).Length;
                    await output.WriteLineAsync(Line(jobId, id, checkpoint.Metadata.Timestamp, size, referenced.Count + 1, checkpoint.Metadata.Kind == CheckpointKind.Savepoint ? "retained savepoint" : "retained"));
                }
                catch (CorruptCheckpointException e)
                {
                    await output.WriteLineAsync(Line(jobId, id, null, files.Sum(f => f.Length), files.Count, $"corrupt: {e.Message}"));
                }
            }
        }

        if (found == 0)
        {
            await output.WriteLineAsync($"No checkpoints in {store.Location}.");
        }

        return 0;
    }

    private static async Task<int> InspectAsync(ICheckpointStoreFactory stores, string path, TextWriter output)
    {
        var location = CheckpointLocator.ParseRestorePath(path);
        var store = stores.Open(location.StoreRoot);
        var checkpoint = await CheckpointLocator.LoadAsync(store, location.MetadataPath);
        var m = checkpoint.Metadata;
        var exclusivePrefix = CheckpointLayout.CheckpointDirectory(m.JobId, m.CheckpointId) + "/";
        await output.WriteLineAsync($"Checkpoint {m.CheckpointId} of job '{m.JobId}' ({m.JobName}), {m.Kind}, taken {m.Timestamp:yyyy-MM-dd HH:mm:ss.fff}Z, {Bytes(m.StateSize)} of state");
        await output.WriteLineAsync($"  metadata: {store.Location}{location.MetadataPath}");
        foreach (var op in m.Operators)
        {
            await output.WriteLineAsync($"  operator '{op.OperatorName}' (uid {op.OperatorUid}): parallelism {op.Parallelism}, max parallelism {op.MaxParallelism}, {Bytes(op.StateSize)}");
            foreach (var subtask in op.Subtasks)
            {
                var keyed = subtask.KeyedState;
                var segments = keyed?.KeyGroups.SelectMany(k => k.Segments).ToArray() ?? [];
                var shared = segments.Where(s => !s.Path.StartsWith(exclusivePrefix, StringComparison.Ordinal)).Select(s => s.Path).Distinct().Count();
                var exclusive = segments.Where(s => s.Path.StartsWith(exclusivePrefix, StringComparison.Ordinal)).Select(s => s.Path).Distinct().Count();
                var listStates = subtask.OperatorState.Count == 0 ? "none" : string.Join(", ", subtask.OperatorState.Select(s => $"{s.Name} ({s.Items.Count} items, {Bytes(s.StateSize)})"));
                await output.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"    subtask {subtask.SubtaskIndex}: key groups {keyed?.Range.ToString() ?? "-"} ({keyed?.KeyGroups.Count ?? 0} with state), keyed {Bytes(keyed?.StateSize ?? 0)}, files: {exclusive} exclusive, {shared} shared; operator state: {listStates}{InFlight(subtask.ChannelState)}"));
            }
        }

        return 0;
    }

    /// <summary>An unaligned checkpoint's records in flight, per side: "; in flight: 2 input channels (1.2 MB), 1 output channel (3 KB)".</summary>
    private static string InFlight(IReadOnlyList<ChannelStateSegment> channels)
    {
        if (channels.Count == 0)
        {
            return string.Empty;
        }

        static string Side(IEnumerable<ChannelStateSegment> segments, string side)
        {
            var list = segments.ToArray();
            return string.Create(CultureInfo.InvariantCulture, $"{list.Length} {side} channel{(list.Length == 1 ? string.Empty : "s")} ({Bytes(list.Sum(c => c.Length))})");
        }

        return $"; in flight: {Side(channels.Where(c => c.Kind == ChannelStateKind.Input), "input")}, {Side(channels.Where(c => c.Kind == ChannelStateKind.Output), "output")}";
    }

    private static async Task<List<StoredFile>> FilesAsync(ICheckpointStore store, string directory)
    {
        var files = new List<StoredFile>();
        await foreach (var file in store.ListFilesAsync(directory))
        {
            files.Add(file);
        }

        return files;
    }

    private static string Line(string jobId, long id, DateTimeOffset? time, long size, int files, string note)
    {
        var when = time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z" : "-";
        return string.Create(CultureInfo.InvariantCulture, $"{jobId,-24} chk-{id,-6} {when,-20} {Bytes(size),10} {files,5} files  {note}");
    }

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KB",
        _ => $"{bytes / (1024.0 * 1024):0.0} MB",
    };
}

/// <summary>The store factory for commands that run without a silo: local directories, and Azure Blob URLs with the credentials of <c>azure.storage.*</c>.</summary>
internal static class CheckpointStores
{
    /// <exception cref="WeirConfigurationException">The <c>Weir</c> section has a bad value.</exception>
    public static ICheckpointStoreFactory Create(IConfiguration configuration)
    {
        var options = configuration is IConfigurationRoot root
            ? WeirOptions.Parse(root, WeirOptions.SectionName)
            : WeirOptions.Parse(configuration.GetSection(WeirOptions.SectionName));
        return new CheckpointStoreFactory([new BlobCheckpointStoreProvider(options.AzureStorage)]);
    }
}
