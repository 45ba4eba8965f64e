using System.Globalization;

namespace Weir.Storage;

/// <summary>
/// Flink's layout of a job's checkpoints inside a store:
/// <code>
/// &lt;job id&gt;/shared/      files several checkpoints may reference (incremental state)
/// &lt;job id&gt;/taskowned/   files the subtasks own (never deleted by the coordinator)
/// &lt;job id&gt;/chk-&lt;n&gt;/     files of checkpoint n only, and chk-&lt;n&gt;/_metadata, written last
/// </code>
/// A chk directory without <c>_metadata</c> is not a checkpoint.
/// </summary>
public static class CheckpointLayout
{
    /// <summary>The name of the file that completes a checkpoint.</summary>
    public const string MetadataFileName = "_metadata";

    /// <summary>The prefix of checkpoint directories.</summary>
    public const string CheckpointDirectoryPrefix = "chk-";

    /// <summary>The directory name of shared files.</summary>
    public const string SharedDirectoryName = "shared";

    /// <summary>The directory name of task-owned files.</summary>
    public const string TaskOwnedDirectoryName = "taskowned";

    /// <summary><c>&lt;job&gt;/chk-&lt;n&gt;</c></summary>
    public static string CheckpointDirectory(string jobId, long checkpointId) =>
        $"{jobId}/{CheckpointDirectoryPrefix}{checkpointId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary><c>&lt;job&gt;/chk-&lt;n&gt;/_metadata</c></summary>
    public static string MetadataPath(string jobId, long checkpointId) => $"{CheckpointDirectory(jobId, checkpointId)}/{MetadataFileName}";

    /// <summary><c>&lt;job&gt;/shared</c></summary>
    public static string SharedDirectory(string jobId) => $"{jobId}/{SharedDirectoryName}";

    /// <summary><c>&lt;job&gt;/taskowned</c></summary>
    public static string TaskOwnedDirectory(string jobId) => $"{jobId}/{TaskOwnedDirectoryName}";

    /// <summary>True if <paramref name="path"/> is a file directly in a job's <c>shared/</c> directory (<c>&lt;job&gt;/shared/&lt;file&gt;</c>).</summary>
    public static bool IsSharedFile(string path)
    {
        var name = path.LastIndexOf('/');
        var directory = name < 0 ? -1 : path.LastIndexOf('/', name - 1);
        return name > 0 && directory >= 0
            && path.AsSpan(directory + 1, name - directory - 1).SequenceEqual(SharedDirectoryName)
            && name < path.Length - 1;
    }

    /// <summary>Parses a checkpoint directory name (<c>chk-12</c>) to its id.</summary>
    public static bool TryParseCheckpointDirectory(string name, out long checkpointId)
    {
        checkpointId = 0;
        return name.StartsWith(CheckpointDirectoryPrefix, StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(CheckpointDirectoryPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out checkpointId);
    }
}
