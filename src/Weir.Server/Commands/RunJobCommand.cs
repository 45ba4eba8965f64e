using System.Globalization;
using Weir.Checkpointing.Configuration;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Grains;
using Weir.Hosting;
using Weir.Hosting.Grains;
using Weir.Hosting.Storage;
using Weir.Jobs;
using Weir.Server.Cli;

namespace Weir.Server.Commands;

/// <summary>
/// Runs a built-in job on this silo: submits it, prints progress once a second, and when
/// <c>--run-for</c> elapses (or on Ctrl+C) takes a final checkpoint, cancels the job (the
/// retention policy applies) and prints the job's report.
/// </summary>
internal sealed class RunJobCommand(IServiceProvider services, IConfiguration configuration, ServerArguments arguments, TextWriter output)
{
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        var job = JobCatalog.Find(arguments.JobName);
        if (job is null)
        {
            await Console.Error.WriteLineAsync($"Unknown job '{arguments.JobName}'. The built-in jobs are:{Environment.NewLine}{JobCatalog.Describe()}");
            return 2;
        }

        var parameters = new JobParameters(arguments.Parallelism, arguments.Rate, arguments.FailEvery, arguments.Seed, arguments.Partitions);
        var options = WithJobDefaults(services.GetRequiredService<WeirOptions>(), job.DefaultSettings(parameters));
        var run = job.Create(parameters, options);
        var client = services.GetRequiredService<WeirJobClient>();
        var clock = services.GetRequiredService<TimeProvider>();
        var handle = await client.SubmitAsync(run.Graph, new JobSubmitOptions(arguments.JobId, options, arguments.Restore));
        await output.WriteLineAsync($"Submitted job '{handle.JobId}': {run.Graph}");
        await output.WriteLineAsync($"Checkpoints: {(options.Checkpointing.Interval is { } i ? $"every {FlinkDuration.Format(i)}, {options.Checkpointing.Mode}" : "disabled")}, in {options.Checkpointing.Directory}/{handle.JobId}");

        var attachment = run.Start(handle, clock);
        var status = await FollowAsync(handle, clock, stopping);
        if (attachment is not null)
        {
            await attachment.DisposeAsync();
        }

        CompletedCheckpoint? final = null;
        if (!status.IsTerminal)
        {
            final = await StopWithCheckpointAsync(handle, options, stopping);
            await handle.CancelAsync();
            status = await handle.GetStatusAsync();
        }
        else
        {
            final = await services.GetRequiredService<IGrainFactory>().GetGrain<ICheckpointCoordinatorGrain>(handle.JobId).GetLatestCompletedAsync();
        }

        await output.WriteLineAsync($"Job '{handle.JobId}' {status.State}{(status.State == JobState.Failed && status.FailureCause is { } cause ? ": " + cause : string.Empty)}; checkpoints completed: {status.Checkpoints.Completed}, failed: {status.Checkpoints.Failed}, restarts: {status.Restarts}.");
        var store = services.GetRequiredService<ICheckpointStoreFactory>().Open(options.Checkpointing.Directory);
        var exitCode = await run.ReportAsync(new JobReportContext(status, final, store, options.Checkpointing.Mode), output);
        return status.State == JobState.Failed ? Math.Max(exitCode, 1) : exitCode;
    }

    private WeirOptions WithJobDefaults(WeirOptions options, IEnumerable<(string Key, string Value)> defaults)
    {
        var unset = defaults.Where(d => configuration[$"{WeirOptions.SectionName}:{d.Key}"] is null).ToArray();
        return unset.Length == 0 ? options : options.With(unset);
    }

    private async Task<JobStatus> FollowAsync(JobHandle handle, TimeProvider clock, CancellationToken stopping)
    {
        var started = clock.GetTimestamp();
        var lastRecords = 0L;
        var lastTick = started;
        using var ticker = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        while (true)
        {
            var status = await handle.GetStatusAsync();
            if (status.IsTerminal)
            {
                return status;
            }

            var elapsed = clock.GetElapsedTime(started);
            if (arguments.RunFor is { } runFor && elapsed >= runFor)
            {
                return status;
            }

            var now = clock.GetTimestamp();
            var seconds = Math.Max(0.001, clock.GetElapsedTime(lastTick, now).TotalSeconds);
            var rate = Math.Max(0, status.SourceRecords - lastRecords) / seconds;
            (lastRecords, lastTick) = (status.SourceRecords, now);
            await output.WriteLineAsync(Progress(status, elapsed, rate));
            try
            {
                if (!await ticker.WaitForNextTickAsync(stopping))
                {
                    return status;
                }
            }
            catch (OperationCanceledException)
            {
                return await handle.GetStatusAsync();
            }
        }
    }

    private static string Progress(JobStatus status, TimeSpan elapsed, double rate)
    {
        var checkpoint = status.Checkpoints is { LatestId: { } id, LatestDuration: { } duration, LatestStateSize: { } size }
            ? $"last checkpoint {id} in {duration.TotalMilliseconds:0} ms, {Bytes(size)}"
            : "no checkpoint yet";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"[{elapsed.TotalSeconds,6:0.0}s] {status.JobName} {status.State}: {rate,12:N0} records/s ({status.SourceRecords:N0} this attempt) | {checkpoint} | restarts {status.Restarts}");
    }

    /// <summary>Takes a savepoint before cancelling, so what the job did is in a snapshot no retention policy deletes (Flink's stop-with-savepoint).</summary>
    private async Task<CompletedCheckpoint?> StopWithCheckpointAsync(JobHandle handle, WeirOptions options, CancellationToken stopping)
    {
        var coordinator = services.GetRequiredService<IGrainFactory>().GetGrain<ICheckpointCoordinatorGrain>(handle.JobId);
        if (options.Checkpointing.Interval is null)
        {
            return await coordinator.GetLatestCompletedAsync();
        }

        var deadline = DateTime.UtcNow + options.Checkpointing.Timeout.Add(TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            var id = await coordinator.TriggerAsync(CheckpointKind.Savepoint);
            if (id is { } triggered)
            {
                while (DateTime.UtcNow < deadline)
                {
                    var latest = await coordinator.GetLatestCompletedAsync();
                    if (latest?.CheckpointId >= triggered)
                    {
                        return latest;
                    }

                    if ((await handle.GetStatusAsync()).State != JobState.Running)
                    {
                        break;
                    }

                    await Task.Delay(20, CancellationToken.None);
                }
            }
            else
            {
                await Task.Delay(100, CancellationToken.None);
            }
        }

        return await coordinator.GetLatestCompletedAsync();
    }

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KB",
        _ => $"{bytes / (1024.0 * 1024):0.0} MB",
    };
}
