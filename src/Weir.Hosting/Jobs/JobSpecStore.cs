using System.Text.Json;
using System.Text.Json.Serialization;
using Weir.Storage;

namespace Weir.Hosting.Jobs;

/// <summary>What the job master persists of a job, at <c>&lt;checkpoint dir&gt;/&lt;job id&gt;/_job</c>.</summary>
public sealed record PersistedJob(JobSpec Spec, bool Running, int Attempt);

/// <summary>
/// Reads and writes <c>&lt;job id&gt;/_job</c> (JSON) in the cluster's checkpoint store: the spec of a job
/// submitted by name, whether it runs, and its current attempt. Any silo can build the job from
/// it, and a job master re-activated elsewhere after its silo died takes the job over from it.
/// </summary>
public static class JobSpecStore
{
    /// <summary>The file name under the job's directory.</summary>
    public const string FileName = "_job";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>Writes (replaces) the job's record.</summary>
    public static Task SaveAsync(ICheckpointStore store, PersistedJob job, CancellationToken cancellationToken = default) =>
        store.WriteAsync(Path(job.Spec.JobId), JsonSerializer.SerializeToUtf8Bytes(job, Json), WriteMode.Overwrite, cancellationToken);

    /// <summary>The job's record, or null if there is none.</summary>
    /// <exception cref="InvalidDataException">The file is not a job record; the message names it.</exception>
    public static async Task<PersistedJob?> LoadAsync(ICheckpointStore store, string jobId, CancellationToken cancellationToken = default)
    {
        var path = Path(jobId);
        byte[] json;
        try
        {
            json = await store.ReadAllBytesAsync(path, cancellationToken: cancellationToken);
        }
        catch (CheckpointFileNotFoundException)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<PersistedJob>(json, Json) is { Spec: { JobId: not null, JobName: not null, Parameters: not null, Settings: not null } } job
                ? job
                : throw new InvalidDataException($"'{store.Location}{path}' is not a complete job record: it needs spec.jobId, spec.jobName, spec.parameters and spec.settings.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{store.Location}{path}' is not a valid job record: {e.Message}", e);
        }
    }

    private static string Path(string jobId) => $"{jobId}/{FileName}";
}
