namespace Weir.Storage.AzureBlob;

/// <summary>
/// A Blob service request failed: <see cref="Status"/> is the HTTP status (0 when no response
/// arrived, e.g. after retries on a broken connection) and <see cref="ErrorCode"/> the service's
/// <c>x-ms-error-code</c> (<c>BlobNotFound</c>, <c>LeaseIdMissing</c>, <c>ConditionNotMet</c>, ...).
/// The message names the operation and the blob path; it never carries credentials.
/// </summary>
public sealed class BlobRequestException : CheckpointStoreException
{
    /// <summary>Creates the exception.</summary>
    public BlobRequestException(string operation, string blobPath, int status, string? errorCode, string? serviceMessage, Exception? inner = null)
        : base(Describe(operation, blobPath, status, errorCode, serviceMessage, inner), inner)
    {
        Operation = operation;
        BlobPath = blobPath;
        Status = status;
        ErrorCode = errorCode;
    }

    /// <summary>The REST operation, e.g. <c>Put Block List</c>.</summary>
    public string Operation { get; }

    /// <summary><c>container/blob name</c>, or just the container for container operations.</summary>
    public string BlobPath { get; }

    /// <summary>The HTTP status; 0 if the service never answered.</summary>
    public int Status { get; }

    /// <summary>The service's error code, if it sent one.</summary>
    public string? ErrorCode { get; }

    private static string Describe(string operation, string blobPath, int status, string? errorCode, string? serviceMessage, Exception? inner)
    {
        if (status == 0)
        {
            var cause = inner?.GetBaseException();
            return $"{operation} '{blobPath}' failed without a response from the Blob service ({cause?.GetType().Name}: {cause?.Message}).";
        }

        var hint = status == 403 ? " Check the account key, or the credential's data-plane role (e.g. Storage Blob Data Contributor)." : string.Empty;
        var detail = string.IsNullOrWhiteSpace(serviceMessage) ? string.Empty : $": {serviceMessage}";
        return $"{operation} '{blobPath}' failed with {status} {errorCode ?? "(no error code)"}{detail}.{hint}";
    }
}
