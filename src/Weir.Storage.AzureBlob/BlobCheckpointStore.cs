using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weir.Storage.AzureBlob.Authorization;
using Weir.Storage.AzureBlob.Client;
using Weir.Storage.AzureBlob.Store;

namespace Weir.Storage.AzureBlob;

/// <summary>
/// A checkpoint store in an Azure Blob container, below an optional prefix: store path
/// <c>job/chk-3/_metadata</c> is blob <c>&lt;prefix&gt;/job/chk-3/_metadata</c>.
///
/// Writes: content up to one block is a single Put Blob; larger content is staged in blocks and
/// committed by one Put Block List, so readers never see part of a file and a write whose content
/// callback fails commits nothing. Create-only puts <c>If-None-Match: *</c> on the committing
/// request, so of racing writers exactly one wins; the others get
/// <see cref="CheckpointFileExistsException"/>. Every commit carries a write id in the blob's
/// metadata: when a commit's answer is lost and its retry finds the blob already there (or no
/// answer comes at all), the store asks the blob whose write it holds, so a write that landed is
/// reported as a success, not as a conflict or a failure.
/// </summary>
public sealed class BlobCheckpointStore : ICheckpointStore
{
    private const string WriteIdKey = "weirwriteid";
    private static readonly TimeSpan MinLeaseDuration = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MaxLeaseDuration = TimeSpan.FromSeconds(60);
    private readonly BlobRestClient _client;
    private readonly BlobLocation _location;
    private readonly BlockUploadOptions _upload;
    private readonly int? _listPageSize;
    private readonly ILogger _logger;
    private readonly Lock _containerGate = new();
    private Task? _containerReady;

    private BlobCheckpointStore(BlobLocation location, BlobRestClient client, BlockUploadOptions upload, int? listPageSize, ILogger logger)
    {
        _location = location;
        _client = client;
        _upload = upload;
        _listPageSize = listPageSize;
        _logger = logger;
        Location = location.Uri;
    }

    /// <inheritdoc />
    public Uri Location { get; }

    /// <summary>The container the store writes to.</summary>
    public string ContainerName => _location.Container;

    /// <summary>The store's Blob REST client (benchmarks compare raw requests with the store's writes).</summary>
    internal BlobRestClient Client => _client;

    /// <summary>The blob name of a store path.</summary>
    internal string BlobNameOf(string path) => _location.BlobName(path);

    /// <summary>
    /// Creates a store at <paramref name="location"/>:
    /// <c>https://&lt;account&gt;.blob.core.windows.net/&lt;container&gt;[/&lt;prefix&gt;]</c>, or for
    /// Azurite <c>http://127.0.0.1:&lt;port&gt;/&lt;account&gt;/&lt;container&gt;[/&lt;prefix&gt;]</c>.
    /// The container is created on the first write if missing.
    /// </summary>
    /// <exception cref="ArgumentException">The location or the options are malformed; the message names the URI (without any query) and the accepted forms.</exception>
    public static BlobCheckpointStore Create(Uri location, BlobCheckpointStoreOptions? options = null)
    {
        options ??= new BlobCheckpointStoreOptions();
        options.Validate();
        var parsed = BlobLocation.Parse(location);
        var authorization = BlobAuthorization.For(options, parsed);
        var logger = options.LoggerFactory?.CreateLogger<BlobCheckpointStore>() ?? (ILogger)NullLogger.Instance;
        var client = BlobRestClient.Create(parsed.AccountEndpoint, authorization.Policy, options.Client, logger);
        var upload = new BlockUploadOptions(options.BlockSize, options.MaxBlocksInFlight, options.BufferPool ?? ArrayPool<byte>.Shared);
        var store = new BlobCheckpointStore(parsed, client, upload, options.ListPageSize, logger);
        BlobStoreLog.StoreCreated(logger, store.Location, authorization.Description, options.BlockSize, options.MaxBlocksInFlight, options.Client.ToString());
        return store;
    }

    /// <inheritdoc cref="Create(Uri, BlobCheckpointStoreOptions?)" />
    public static BlobCheckpointStore Create(string location, BlobCheckpointStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        return Uri.TryCreate(location, UriKind.Absolute, out var uri)
            ? Create(uri, options)
            : throw BlobLocation.Invalid(location.Split('?')[0], "it is not an absolute URI");
    }

    /// <inheritdoc />
    public async Task<StoredFile> WriteAsync(string path, Func<Stream, CancellationToken, ValueTask> content, WriteMode mode, CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(path);
        ArgumentNullException.ThrowIfNull(content);
        var blob = _location.BlobName(path);
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);

        var writeId = Guid.NewGuid().ToString("N");
        var metadata = new Dictionary<string, string> { [WriteIdKey] = writeId };
        var conditions = mode == WriteMode.CreateOnly ? BlobConditions.CreateOnly : default;
        await using var upload = _client.StartUpload(_location.Container, blob, _upload, cancellationToken);
        await content(upload.Stream, cancellationToken).ConfigureAwait(false);
        try
        {
            var commit = await upload.CommitAsync(conditions, metadata, cancellationToken).ConfigureAwait(false);
            return new StoredFile(path, upload.Length, commit.LastModified);
        }
        catch (BlobRequestException e) when (mode == WriteMode.CreateOnly && IsAlreadyExists(e))
        {
            return await FindOwnCommitAsync(path, blob, writeId, e, cancellationToken).ConfigureAwait(false)
                ?? throw new CheckpointFileExistsException(path, Location);
        }
        catch (BlobRequestException e) when (IsCommit(e) && IsOutcomeUnknown(e))
        {
            StoredFile? landed;
            try
            {
                landed = await FindOwnCommitAsync(path, blob, writeId, e, cancellationToken).ConfigureAwait(false);
            }
            catch (BlobRequestException check)
            {
                throw new CheckpointStoreException(
                    $"Writing '{path}' in {Location} has an unknown outcome: the commit got no answer ({e.Message}), and asking the blob failed too ({check.Message}).",
                    e);
            }

            if (landed is not null)
            {
                return landed;
            }

            // Another writer's blob is there: this create-only commit cannot have landed.
            if (mode == WriteMode.CreateOnly && await GetFileAsync(path, cancellationToken).ConfigureAwait(false) is not null)
            {
                throw new CheckpointFileExistsException(path, Location);
            }

            throw;
        }
    }

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(path);
        var blob = _location.BlobName(path);
        if (offset < 0 || length < 0)
        {
            throw RangeOutside(path, offset, length, size: null);
        }

        if (length == 0)
        {
            var properties = await _client.GetPropertiesAsync(_location.Container, blob, cancellationToken: cancellationToken).ConfigureAwait(false)
                ?? throw new CheckpointFileNotFoundException(path, Location);
            return offset <= properties.Length ? new MemoryStream([], writable: false) : throw RangeOutside(path, offset, length, properties.Length);
        }

        BlobDownload download;
        try
        {
            download = await _client.GetBlobAsync(_location.Container, blob, offset, length, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (BlobRequestException e) when (e.Status == 404)
        {
            throw new CheckpointFileNotFoundException(path, Location);
        }
        catch (BlobRequestException e) when (e.Status == 416)
        {
            // The service refuses a range starting at or past the end; reading from exactly the end is an empty read.
            var properties = await _client.GetPropertiesAsync(_location.Container, blob, cancellationToken: cancellationToken).ConfigureAwait(false)
                ?? throw new CheckpointFileNotFoundException(path, Location);
            return offset == properties.Length && length is null ? new MemoryStream([], writable: false) : throw RangeOutside(path, offset, length, properties.Length);
        }

        if (length is { } requested && download.ContentLength < requested)
        {
            await download.Content.DisposeAsync().ConfigureAwait(false);
            throw RangeOutside(path, offset, length, download.BlobLength);
        }

        return download.Content;
    }

    /// <inheritdoc />
    public async Task<StoredFile?> GetFileAsync(string path, CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(path);
        var properties = await _client.GetPropertiesAsync(_location.Container, _location.BlobName(path), cancellationToken: cancellationToken).ConfigureAwait(false);
        return properties is null ? null : new StoredFile(path, properties.Length, properties.LastModified);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredFile> ListFilesAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(directory, allowEmpty: true);
        await foreach (var page in _client.ListAllBlobsAsync(_location.Container, _location.ListPrefix(directory), delimiter: null, _listPageSize, cancellationToken).ConfigureAwait(false))
        {
            foreach (var blob in page.Blobs)
            {
                yield return new StoredFile(_location.PathOf(blob.Name), blob.Length, blob.LastModified);
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListDirectoriesAsync(string directory, CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(directory, allowEmpty: true);
        var prefix = _location.ListPrefix(directory);
        var names = new List<string>();
        await foreach (var page in _client.ListAllBlobsAsync(_location.Container, prefix, delimiter: "/", _listPageSize, cancellationToken).ConfigureAwait(false))
        {
            names.AddRange(page.Prefixes.Select(p => p[prefix.Length..].TrimEnd('/')));
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(path);
        return _client.DeleteBlobAsync(_location.Container, _location.BlobName(path), cancellationToken: cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A Blob Lease on the blob (created empty, create-only, if missing), of <paramref name="duration"/>
    /// (15 to 60 s; the service's bounds). The lease blob refuses writes and deletes without its lease id.
    /// </remarks>
    public async Task<ICheckpointLease> AcquireLeaseAsync(string path, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        StoragePath.Validate(path);
        if (duration < MinLeaseDuration || duration > MaxLeaseDuration || duration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, $"A lease in {Location} lasts whole seconds from {MinLeaseDuration.TotalSeconds} to {MaxLeaseDuration.TotalSeconds} (Azure Blob leases); '{path}' was asked for {duration}.");
        }

        var blob = _location.BlobName(path);
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var proposed = Guid.NewGuid().ToString("D");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var leaseId = await _client.AcquireLeaseAsync(_location.Container, blob, duration, proposed, cancellationToken).ConfigureAwait(false);
                BlobStoreLog.LeaseAcquired(_logger, Location, path, duration.TotalSeconds);
                return new BlobLease(_client, _location.Container, blob, path, Location, leaseId);
            }
            catch (BlobRequestException e) when (e.Status == 409 && e.ErrorCode is "LeaseAlreadyPresent")
            {
                // A retried acquire whose first answer was lost finds the lease it took: renewing
                // with the proposed id succeeds only if the active lease is that one.
                if (await TryRenewAsync(blob, proposed, cancellationToken).ConfigureAwait(false))
                {
                    BlobStoreLog.LeaseAcquired(_logger, Location, path, duration.TotalSeconds);
                    return new BlobLease(_client, _location.Container, blob, path, Location, proposed);
                }

                throw CheckpointLeaseException.HeldByAnother(path, Location, "the Blob service reports an active lease", e);
            }
            catch (BlobRequestException e) when (e.Status == 404 && attempt == 0)
            {
                // No lease blob yet: create it (another acquirer may win that race; either blob will do).
                try
                {
                    await _client.PutBlobAsync(_location.Container, blob, ReadOnlyMemory<byte>.Empty, BlobConditions.CreateOnly, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (BlobRequestException exists) when (exists.Status is 409 or 412)
                {
                }
            }
        }
    }

    /// <summary>Describes the store; carries no credentials.</summary>
    public override string ToString() => $"BlobCheckpointStore({Location})";

    // The blob holds this write's id: an earlier attempt of this very commit landed.
    private async Task<StoredFile?> FindOwnCommitAsync(string path, string blob, string writeId, BlobRequestException failure, CancellationToken cancellationToken)
    {
        var properties = await _client.GetPropertiesAsync(_location.Container, blob, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (properties is null || !properties.Metadata.TryGetValue(WriteIdKey, out var found) || found != writeId)
        {
            return null;
        }

        BlobStoreLog.CommitRecovered(_logger, failure.Operation, failure.BlobPath, failure.Status, failure.ErrorCode);
        return new StoredFile(path, properties.Length, properties.LastModified);
    }

    private async Task<bool> TryRenewAsync(string blob, string leaseId, CancellationToken cancellationToken)
    {
        try
        {
            await _client.RenewLeaseAsync(_location.Container, blob, leaseId, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (BlobRequestException e) when (e.Status is 404 or 409 or 412)
        {
            return false;
        }
    }

    private static bool IsAlreadyExists(BlobRequestException e) =>
        (e.Status == 409 && e.ErrorCode == "BlobAlreadyExists") || (e.Status == 412 && e.ErrorCode == "ConditionNotMet");

    private static bool IsCommit(BlobRequestException e) => e.Operation is "Put Blob" or "Put Block List";

    // No answer, or a server-side failure after retries: the request may or may not have been applied.
    private static bool IsOutcomeUnknown(BlobRequestException e) => e.Status is 0 or 408 or >= 500;

    private Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        var ready = _containerReady;
        if (ready is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask;
        }

        lock (_containerGate)
        {
            if (_containerReady is null || _containerReady.IsFaulted || _containerReady.IsCanceled)
            {
                _containerReady = CreateContainerAsync();
            }

            return _containerReady.WaitAsync(cancellationToken);
        }
    }

    private async Task CreateContainerAsync()
    {
        try
        {
            if (await _client.CreateContainerIfNotExistsAsync(_location.Container).ConfigureAwait(false))
            {
                BlobStoreLog.ContainerCreated(_logger, _location.Container, Location);
            }
        }
        catch (BlobRequestException e) when (e.Status == 403)
        {
            // A data-plane role scoped to one container may not create containers; the writes will tell.
            BlobStoreLog.ContainerCreateForbidden(_logger, _location.Container, e.Status, e.ErrorCode);
        }
    }

    private CheckpointStoreException RangeOutside(string path, long offset, long? length, long? size) =>
        new($"Range [{offset}, {(length is { } l ? (offset + l).ToString(System.Globalization.CultureInfo.InvariantCulture) : "end")}) is outside '{path}' in {Location}{(size is { } s ? $", which has {s} bytes" : string.Empty)}.");
}
