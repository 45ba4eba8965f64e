using System.Globalization;
using Weir.Checkpointing.Configuration;
using Weir.Grains;
using Weir.Hosting;
using Weir.Hosting.Grains;
using Weir.Hosting.Jobs;
using Weir.Jobs;
using Weir.Server.Cli;

namespace Weir.Server.Commands;

/// <summary>
/// Runs a built-in job, on this silo or (for <c>submit</c>) on a cluster through a grain client:
/// submits it by name, prints progress once a second, and when <c>--run-for</c> elapses (or on
/// Ctrl+C) stops it with a savepoint, cancels it (the retention policy applies) and prints the
/// job's report. Returns the exit code: the report's, or 1 if the job failed.
/// </summary>
internal sealed class RunJobCommand(IGrainFactory grains, TimeProvider clock, ServerArguments arguments, TextWriter output)
{
    /// <summary>The spec of the job the arguments name, with its default settings where the configuration sets none; null (and the job list printed) for an unknown name.</summary>
    public static JobSpec? Spec(ServerArguments arguments, IConfiguration configuration)
    {
        var name = arguments.JobName ?? "wordcount";
        if (JobCatalog.Find(name) is not { } job)
        {
            Console.Error.WriteLine($"Unknown job '{name}'. The built-in jobs are:{Environment.NewLine}{JobCatalog.Describe()}");
            return null;
        }

        var parameters = new JobParameters(arguments.Parallelism, arguments.Rate, arguments.FailEvery, arguments.Seed, arguments.Partitions);
        var settings = job.DefaultSettings(parameters)
            .Where(d => configuration[$"{WeirOptions.SectionName}:{d.Key}"] is null)
            .Concat(arguments.Settings)
            .Select(d => KeyValuePair.Create(d.Key, d.Value))
            .ToArray();
        return new JobSpec(arguments.JobId ?? job.Name, job.Name, parameters.ToDictionary(), settings, arguments.Restore);
    }

    /// <summary>Submits and follows the job; <paramref name="attach"/> starts what runs beside it in this process (failure injection).</summary>
    public async Task<int> RunAsync(JobSpec spec, Func<JobHandle, IAsyncDisposable?>? attach, CancellationToken stopping)
    {
        await grains.GetGrain<IJobMasterGrain>(spec.JobId).SubmitAsync(spec);
        var handle = new JobHandle(spec.JobId, grains);
        await output.WriteLineAsync($"Submitted job '{handle.JobId}' ({spec.JobName}).");

        var attachment = attach?.Invoke(handle);
        var status = await FollowAsync(handle, stopping);
        if (attachment is not null)
        {
            await attachment.DisposeAsync();
        }

        var report = await Retry(handle.StopAsync);
        status = await Retry(handle.GetStatusAsync);
        await output.WriteLineAsync($"Job '{handle.JobId}' {status.State}{(status.State == JobState.Failed && status.FailureCause is { } cause ? ": " + cause : string.Empty)}; checkpoints completed: {status.Checkpoints.Completed}, failed: {status.Checkpoints.Failed}, restarts: {status.Restarts}.");
        foreach (var line in report.Lines)
        {
            await output.WriteLineAsync(line);
        }

        return report.ExitCode;
    }

    private async Task<JobStatus> FollowAsync(JobHandle handle, CancellationToken stopping)
    {
        var started = clock.GetTimestamp();
        var lastRecords = 0L;
        var lastTick = started;
        using var ticker = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        while (true)
        {
            var status = await Retry(handle.GetStatusAsync);
            var elapsed = clock.GetElapsedTime(started);
            if (status.IsTerminal || (arguments.RunFor is { } runFor && elapsed >= runFor))
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
                return await Retry(handle.GetStatusAsync);
            }
        }
    }

    /// <summary>
    /// Calls the job master, again if its silo just died: it is activated on another silo, takes the
    /// job over, and answers (for up to a minute).
    /// </summary>
    private async Task<T> Retry<T>(Func<Task<T>> call)
    {
        var deadline = clock.GetUtcNow() + TimeSpan.FromMinutes(1);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (e is SiloUnavailableException or TimeoutException && clock.GetUtcNow() < deadline)
            {
                await output.WriteLineAsync($"(the job master did not answer: {e.Message}; asking again)");
                await Task.Delay(TimeSpan.FromMilliseconds(500), clock);
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

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KB",
        _ => $"{bytes / (1024.0 * 1024):0.0} MB",
    };
}
