using Microsoft.Extensions.Logging;

namespace Weir.Storage.AzureBlob.Store;

/// <summary>The blob checkpoint store's log events. None carries a key, token or connection string.</summary>
internal static partial class BlobStoreLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Checkpoint store {Location} authorizes with {Authorization}; blocks of {BlockSize} bytes, at most {MaxBlocksInFlight} in memory per write; {ClientOptions}")]
    public static partial void StoreCreated(ILogger logger, Uri location, string authorization, int blockSize, int maxBlocksInFlight, string clientOptions);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Created container {Container} for checkpoint store {Location}")]
    public static partial void ContainerCreated(ILogger logger, string container, Uri location);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Could not create container {Container} ({Status} {ErrorCode}); assuming it exists and the credential may write blobs in it")]
    public static partial void ContainerCreateForbidden(ILogger logger, string container, int status, string? errorCode);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "{Operation} of '{BlobPath}' failed ({Status} {ErrorCode}), but the blob carries this write's id: an earlier attempt of the same commit landed, so the write succeeded")]
    public static partial void CommitRecovered(ILogger logger, string operation, string blobPath, int status, string? errorCode);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Acquired a {DurationSeconds} s lease on '{Path}' in {Location}")]
    public static partial void LeaseAcquired(ILogger logger, Uri location, string path, double durationSeconds);
}
