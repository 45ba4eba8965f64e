using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Storage;

namespace Weir.Checkpointing.Recovery;

/// <summary>
/// Finds complete checkpoints: the newest under a job's directory (skipping, with a warning, any
/// whose metadata is corrupt), or the one a <c>--restore</c> path names.
/// </summary>
public static class CheckpointLocator
{
    /// <summary>
    /// The newest complete checkpoint of <paramref name="jobId"/>, or null if there is none. A
    /// directory without <c>_metadata</c> is skipped silently (it never completed); one whose
    /// metadata is corrupt is skipped and reported through <paramref name="onCorrupt"/>.
    /// </summary>
    public static async Task<CompletedCheckpoint?> FindLatestAsync(ICheckpointStore store, string jobId, Action<string, Exception>? onCorrupt = null, CancellationToken cancellationToken = default)
    {
        foreach (var id in await ListCheckpointIdsAsync(store, jobId, cancellationToken))
        {
            try
            {
                if (await TryLoadAsync(store, CheckpointLayout.MetadataPath(jobId, id), cancellationToken) is not { } checkpoint)
                {
                    continue;
                }

                await VerifyFilesAsync(store, checkpoint.Metadata, cancellationToken);
                return checkpoint;
            }
            catch (CorruptCheckpointException exception)
            {
                onCorrupt?.Invoke(exception.Path, exception);
            }
        }

        return null;
    }

    /// <summary>The checkpoint ids that have a directory under the job, newest first.</summary>
    public static async Task<IReadOnlyList<long>> ListCheckpointIdsAsync(ICheckpointStore store, string jobId, CancellationToken cancellationToken = default)
    {
        var ids = new List<long>();
        foreach (var name in await store.ListDirectoriesAsync(jobId, cancellationToken))
        {
            if (CheckpointLayout.TryParseCheckpointDirectory(name, out var id))
            {
                ids.Add(id);
            }
        }

        ids.Sort((a, b) => b.CompareTo(a));
        return ids;
    }

    /// <summary>Reads and checks <c>_metadata</c> at <paramref name="metadataPath"/>.</summary>
    /// <exception cref="CorruptCheckpointException">The metadata is truncated or fails its checksum.</exception>
    /// <exception cref="CheckpointFileNotFoundException">There is no such file.</exception>
    public static async Task<CompletedCheckpoint> LoadAsync(ICheckpointStore store, string metadataPath, CancellationToken cancellationToken = default) =>
        await TryLoadAsync(store, metadataPath, cancellationToken) ?? throw new CheckpointFileNotFoundException(metadataPath, store.Location);

    /// <summary>Reads and checks <c>_metadata</c> at <paramref name="metadataPath"/>; null if there is none (the checkpoint never completed).</summary>
    /// <exception cref="CorruptCheckpointException">The metadata is truncated or fails its checksum.</exception>
    public static async Task<CompletedCheckpoint?> TryLoadAsync(ICheckpointStore store, string metadataPath, CancellationToken cancellationToken = default)
    {
        if (await store.GetFileAsync(metadataPath, cancellationToken) is not { } file)
        {
            return null;
        }

        var bytes = await store.ReadAllBytesAsync(metadataPath, cancellationToken: cancellationToken);
        var metadata = MetadataSerializer.Deserialize(bytes, $"{store.Location}{metadataPath}");
        return new CompletedCheckpoint(metadata, metadataPath, file.LastModified, TimeSpan.Zero, metadata.StateSize);
    }

    /// <summary>
    /// Checks that every state file a checkpoint references exists and is long enough for its
    /// segments (cheap: sizes only; checksums are verified when the state is read).
    /// </summary>
    /// <exception cref="CorruptCheckpointException">Names the first missing or truncated file.</exception>
    public static async Task VerifyFilesAsync(ICheckpointStore store, CheckpointMetadata checkpoint, CancellationToken cancellationToken = default)
    {
        var needed = checkpoint.Operators
            .SelectMany(o => o.Subtasks)
            .SelectMany(s => s.KeyedState?.KeyGroups ?? [])
            .SelectMany(k => k.Segments)
            .GroupBy(s => s.Path, StringComparer.Ordinal)
            .Select(g => (Path: g.Key, Length: g.Max(s => s.Offset + s.Length)));
        foreach (var (path, length) in needed)
        {
            var file = await store.GetFileAsync(path, cancellationToken);
            if (file is null)
            {
                throw new CorruptCheckpointException($"{store.Location}{path}", $"the state file of checkpoint {checkpoint.CheckpointId} is missing");
            }

            if (file.Length < length)
            {
                throw new CorruptCheckpointException($"{store.Location}{path}", $"it has {file.Length} bytes but checkpoint {checkpoint.CheckpointId} references {length}: it is truncated");
            }
        }
    }

    /// <summary>
    /// Splits a restore path (a <c>chk-n</c> directory or its <c>_metadata</c>, as a local path or
    /// a URI) into the store root, the job id and the metadata path relative to the root.
    /// </summary>
    /// <exception cref="ArgumentException">The path does not end in <c>&lt;job&gt;/chk-&lt;n&gt;[/_metadata]</c>.</exception>
    public static RestoreLocation ParseRestorePath(string path)
    {
        var trimmed = path.Trim().TrimEnd('/', '\\');
        var separators = new[] { '/', '\\' };
        if (trimmed.EndsWith(CheckpointLayout.MetadataFileName, StringComparison.Ordinal)
            && trimmed.Length > CheckpointLayout.MetadataFileName.Length
            && separators.Contains(trimmed[^(CheckpointLayout.MetadataFileName.Length + 1)]))
        {
            trimmed = trimmed[..^CheckpointLayout.MetadataFileName.Length].TrimEnd('/', '\\');
        }

        var chkStart = trimmed.LastIndexOfAny(separators);
        var checkpointDirectory = trimmed[(chkStart + 1)..];
        if (chkStart <= 0 || !CheckpointLayout.TryParseCheckpointDirectory(checkpointDirectory, out var checkpointId))
        {
            throw new ArgumentException($"Restore path '{path}' is not valid: expected '<checkpoint dir>/<job id>/chk-<n>' or '.../chk-<n>/_metadata'.", nameof(path));
        }

        var jobDirectory = trimmed[..chkStart];
        var jobStart = jobDirectory.LastIndexOfAny(separators);
        if (jobStart < 0)
        {
            throw new ArgumentException($"Restore path '{path}' is not valid: the chk-<n> directory must be inside a job directory inside the checkpoint directory.", nameof(path));
        }

        var jobId = jobDirectory[(jobStart + 1)..];
        var root = jobDirectory[..jobStart];
        return new RestoreLocation(root.Length == 0 ? "/" : root, jobId, checkpointId, CheckpointLayout.MetadataPath(jobId, checkpointId));
    }
}

/// <summary>Where a restore path points: the store root, the job, the checkpoint and its metadata path relative to the root.</summary>
public sealed record RestoreLocation(string StoreRoot, string JobId, long CheckpointId, string MetadataPath);
