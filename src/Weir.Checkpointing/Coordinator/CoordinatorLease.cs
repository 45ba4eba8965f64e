using Microsoft.Extensions.Logging;
using Weir.Storage;

namespace Weir.Checkpointing.Coordinator;

/// <summary>
/// Fencing of a job's checkpoint coordinator: while it coordinates, it holds a lease on
/// <c>&lt;job id&gt;/_coordinator.lease</c> in the job's checkpoint store, so two coordinators of one
/// job (two revisions during an Azure Container Apps rollout, say) never both complete checkpoints.
/// <list type="number">
/// <item>Acquire when the job's coordination starts (<see cref="TryAcquireAsync"/>, once per
/// retry tick): while another coordinator holds the lease, keep trying until
/// <c>execution.checkpointing.lease-acquire-timeout</c> has passed, then give up with an error
/// that says so. Checkpoints start only once the lease is held.</item>
/// <item>Renew every <see cref="CoordinatorLeaseSettings.RenewInterval"/> (<see cref="RenewAsync"/>).
/// A renewal that got no answer loses nothing yet; one the store refuses means the lease is lost.</item>
/// <item>Renew once more immediately before each <c>_metadata</c> write (<see cref="VerifyAsync"/>):
/// after a successful renewal no other coordinator can hold the lease for a whole lease duration,
/// far longer than one metadata write takes. If it is lost, <c>_metadata</c> is not written.</item>
/// <item>Once lost, always lost: the coordinator stops and the job fails without restart, since a
/// restart would only race the coordinator that holds the lease now.</item>
/// <item>Release when the job terminates (<see cref="DisposeAsync"/>), so a successor takes over at once.</item>
/// </list>
/// Not thread-safe: the host calls it from one turn at a time.
/// </summary>
public sealed partial class CoordinatorLease : IAsyncDisposable
{
    /// <summary>The lease file's name in the job's directory.</summary>
    public const string FileName = "_coordinator.lease";

    private readonly ICheckpointStore _store;
    private readonly string _jobId;
    private readonly CoordinatorLeaseSettings _settings;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private ICheckpointLease? _lease;
    private DateTimeOffset? _acquireDeadline;
    private string? _lostMessage;

    /// <summary>Creates the lease of <paramref name="jobId"/>'s coordinator in <paramref name="store"/>; nothing is acquired yet.</summary>
    public CoordinatorLease(ICheckpointStore store, string jobId, CoordinatorLeaseSettings settings, TimeProvider clock, ILogger logger)
    {
        _store = store;
        _jobId = jobId;
        _settings = settings;
        _clock = clock;
        _logger = logger;
        Path = PathOf(jobId);
    }

    /// <summary>The lease file's path in the store.</summary>
    public string Path { get; }

    /// <summary>The settings.</summary>
    public CoordinatorLeaseSettings Settings => _settings;

    /// <summary>True while the lease is held and not known to be lost.</summary>
    public bool IsHeld => _lease is not null && _lostMessage is null;

    /// <summary>Why the coordinator stopped, once the lease was lost; null before.</summary>
    public string? LostMessage => _lostMessage;

    private string Where => $"{_store.Location}{Path}";

    /// <summary><c>&lt;job id&gt;/_coordinator.lease</c></summary>
    public static string PathOf(string jobId) => $"{jobId}/{FileName}";

    /// <summary>
    /// One attempt to take the lease: true if it is held now, false if another coordinator holds it
    /// (or the store did not answer) and the acquire timeout, counted from the first attempt, has
    /// not passed yet.
    /// </summary>
    /// <exception cref="CheckpointLeaseException">The acquire timeout has passed, or the lease was held and lost; the message says the coordinator stops and why.</exception>
    public async Task<bool> TryAcquireAsync(CancellationToken cancellationToken = default)
    {
        if (_lostMessage is not null)
        {
            throw new CheckpointLeaseException(Path, _store.Location, _lostMessage);
        }

        if (_lease is not null)
        {
            return true;
        }

        var now = _clock.GetUtcNow();
        _acquireDeadline ??= now + _settings.AcquireTimeout;
        Exception refusal;
        try
        {
            _lease = await _store.AcquireLeaseAsync(Path, _settings.Duration, cancellationToken);
            Log.Acquired(_logger, _jobId, Where);
            return true;
        }
        catch (CheckpointStoreException exception)
        {
            // Held by another coordinator, or the store did not answer: both are worth retrying until the deadline.
            refusal = exception;
        }
        catch (NotSupportedException exception)
        {
            throw new CheckpointLeaseException(Path, _store.Location, $"Checkpoint coordinator of job '{_jobId}' cannot take a lease on {Where}, so it cannot make sure it is the job's only coordinator: {exception.Message}", exception);
        }

        if (now >= _acquireDeadline)
        {
            throw new CheckpointLeaseException(
                Path,
                _store.Location,
                $"Checkpoint coordinator of job '{_jobId}' could not acquire its lease on {Where} within {_settings.AcquireTimeout.TotalSeconds:0.###} s (execution.checkpointing.lease-acquire-timeout): another coordinator of the job holds it. Stopping so that only one coordinator completes checkpoints. Last refusal: {refusal.Message}",
                refusal);
        }

        Log.AcquireRetrying(_logger, _jobId, Where, refusal.Message);
        return false;
    }

    /// <summary>Takes the lease, retrying every <see cref="CoordinatorLeaseSettings.RetryInterval"/> on the clock until the acquire timeout.</summary>
    /// <exception cref="CheckpointLeaseException">The acquire timeout passed.</exception>
    public async Task AcquireAsync(CancellationToken cancellationToken = default)
    {
        while (!await TryAcquireAsync(cancellationToken))
        {
            await Task.Delay(_settings.RetryInterval, _clock, cancellationToken);
        }
    }

    /// <summary>
    /// The periodic renewal: true while the lease is held. A renewal the store did not answer is
    /// logged and counts as held (the next renewal, or the one before a <c>_metadata</c> write,
    /// decides); a refused one marks the lease lost (<see cref="LostMessage"/>) and returns false.
    /// </summary>
    public async Task<bool> RenewAsync(CancellationToken cancellationToken = default)
    {
        if (_lease is null || _lostMessage is not null)
        {
            return false;
        }

        try
        {
            await _lease.RenewAsync(cancellationToken);
            return true;
        }
        catch (CheckpointLeaseException exception)
        {
            MarkLost(exception);
            return false;
        }
        catch (CheckpointStoreException exception)
        {
            Log.RenewalUnanswered(_logger, _jobId, Where, exception.Message);
            return true;
        }
    }

    /// <summary>
    /// Renews the lease right before a <c>_metadata</c> write, which may go ahead only if this returns.
    /// </summary>
    /// <exception cref="CheckpointLeaseException">The lease is lost, or was never held: do not write; stop (the message says why).</exception>
    /// <exception cref="CheckpointStoreException">The store did not answer: do not write this time; the lease may still be held.</exception>
    public async Task VerifyAsync(CancellationToken cancellationToken = default)
    {
        if (_lostMessage is null && _lease is null)
        {
            throw new CheckpointLeaseException(Path, _store.Location, $"Checkpoint coordinator of job '{_jobId}' does not hold its lease on {Where}: it must not complete checkpoints.");
        }

        if (_lostMessage is null)
        {
            try
            {
                await _lease!.RenewAsync(cancellationToken);
                return;
            }
            catch (CheckpointLeaseException exception)
            {
                MarkLost(exception);
            }
        }

        throw new CheckpointLeaseException(Path, _store.Location, _lostMessage!);
    }

    /// <summary>Releases the lease (also a lost one: releasing it is harmless), so a successor may take it at once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _lease, null) is { } lease)
        {
            await lease.DisposeAsync();
            if (_lostMessage is null)
            {
                Log.Released(_logger, _jobId, Where);
            }
        }
    }

    private void MarkLost(CheckpointLeaseException cause)
    {
        _lostMessage = $"Checkpoint coordinator of job '{_jobId}' lost its lease on {Where} to another coordinator: stopping so that only one coordinator completes checkpoints. ({cause.Message})";
        Log.Lost(_logger, _jobId, Where, cause.Message);
    }

    private static partial class Log
    {
        [LoggerMessage(120, LogLevel.Information, "Checkpoint coordinator of job {JobId} holds its lease on {Lease}")]
        public static partial void Acquired(ILogger logger, string jobId, string lease);

        [LoggerMessage(121, LogLevel.Warning, "Checkpoint coordinator of job {JobId} waits for its lease on {Lease}: {Refusal}")]
        public static partial void AcquireRetrying(ILogger logger, string jobId, string lease, string refusal);

        [LoggerMessage(122, LogLevel.Warning, "Checkpoint coordinator of job {JobId} could not renew its lease on {Lease} (no answer; the next renewal decides): {Problem}")]
        public static partial void RenewalUnanswered(ILogger logger, string jobId, string lease, string problem);

        [LoggerMessage(123, LogLevel.Error, "Checkpoint coordinator of job {JobId} lost its lease on {Lease}: {Cause}")]
        public static partial void Lost(ILogger logger, string jobId, string lease, string cause);

        [LoggerMessage(124, LogLevel.Information, "Checkpoint coordinator of job {JobId} released its lease on {Lease}")]
        public static partial void Released(ILogger logger, string jobId, string lease);
    }
}

/// <summary>
/// How a coordinator holds its lease: the lease's <see cref="Duration"/> (15 to 60 s, as Azure Blob
/// leases allow), how often it is renewed, how long acquisition retries
/// (<c>execution.checkpointing.lease-acquire-timeout</c>) and how often.
/// </summary>
public sealed record CoordinatorLeaseSettings(TimeSpan Duration, TimeSpan RenewInterval, TimeSpan AcquireTimeout, TimeSpan RetryInterval)
{
    /// <summary>30 s leases renewed every 10 s; acquisition retried every second for 60 s.</summary>
    public static CoordinatorLeaseSettings Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));
}
