using Microsoft.Extensions.Logging;

namespace Weir.Storage.AzureBlob.Client;

/// <summary>The Blob REST client's log events. Request-level detail (headers, retries) comes from Azure.Core's own, redacting logging.</summary>
internal static partial class BlobClientLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "{Operation} '{BlobPath}' failed with {Status} {ErrorCode}")]
    public static partial void RequestFailed(ILogger logger, string operation, string blobPath, int status, string? errorCode);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "{Operation} '{BlobPath}' got no response from the Blob service after retries ({ExceptionType})")]
    public static partial void RequestGotNoResponse(ILogger logger, string operation, string blobPath, string exceptionType);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Upload of '{BlobPath}' abandoned after staging {StagedBlocks} blocks ({Bytes} bytes); uncommitted blocks expire on the service")]
    public static partial void UploadAbandoned(ILogger logger, string blobPath, int stagedBlocks, long bytes);
}
