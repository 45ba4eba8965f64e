using System.Globalization;
using Azure.Core;

namespace Weir.Storage.AzureBlob.Client;

/// <summary>
/// Lease Blob: acquire, renew, release, break. While a blob is leased, writes and deletes must
/// carry its lease id (<see cref="BlobConditions.LeaseId"/>) or fail with 412 LeaseIdMissing.
/// </summary>
internal sealed partial class BlobRestClient
{
    /// <summary>Acquires a lease for <paramref name="duration"/> (15 to 60 s) or, when null, indefinitely; returns the lease id.</summary>
    public async Task<string> AcquireLeaseAsync(string container, string blob, TimeSpan? duration = null, string? proposedLeaseId = null, CancellationToken cancellationToken = default)
    {
        var seconds = duration is { } d ? (int)d.TotalSeconds : -1;
        if (seconds != -1 && seconds is < 15 or > 60)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "A blob lease lasts 15 to 60 seconds, or indefinitely (null).");
        }

        using var message = CreateLeaseMessage(container, blob, "acquire");
        message.Request.Headers.SetValue(BlobHeaders.LeaseDuration, seconds.ToString(CultureInfo.InvariantCulture));
        if (proposedLeaseId is not null)
        {
            message.Request.Headers.SetValue(BlobHeaders.ProposedLeaseId, proposedLeaseId);
        }

        var response = await SendLeaseAsync(message, "Lease Blob (acquire)", container, blob, cancellationToken).ConfigureAwait(false);
        return response.Headers.TryGetValue(BlobHeaders.LeaseId, out var leaseId)
            ? leaseId
            : throw new BlobRequestException("Lease Blob (acquire)", PathOf(container, blob), response.Status, null, "the response carries no x-ms-lease-id");
    }

    /// <summary>Renews a lease, restarting its duration.</summary>
    public async Task RenewLeaseAsync(string container, string blob, string leaseId, CancellationToken cancellationToken = default)
    {
        using var message = CreateLeaseMessage(container, blob, "renew");
        message.Request.Headers.SetValue(BlobHeaders.LeaseId, leaseId);
        await SendLeaseAsync(message, "Lease Blob (renew)", container, blob, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases a lease: the blob is free at once.</summary>
    public async Task ReleaseLeaseAsync(string container, string blob, string leaseId, CancellationToken cancellationToken = default)
    {
        using var message = CreateLeaseMessage(container, blob, "release");
        message.Request.Headers.SetValue(BlobHeaders.LeaseId, leaseId);
        await SendLeaseAsync(message, "Lease Blob (release)", container, blob, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Breaks a lease without knowing its id; returns the time until it is broken (zero: now).</summary>
    public async Task<TimeSpan> BreakLeaseAsync(string container, string blob, TimeSpan? breakPeriod = null, CancellationToken cancellationToken = default)
    {
        using var message = CreateLeaseMessage(container, blob, "break");
        if (breakPeriod is { } period)
        {
            message.Request.Headers.SetValue(BlobHeaders.LeaseBreakPeriod, ((int)period.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        }

        var response = await SendLeaseAsync(message, "Lease Blob (break)", container, blob, cancellationToken).ConfigureAwait(false);
        return response.Headers.TryGetValue(BlobHeaders.LeaseTime, out var time) && int.TryParse(time, NumberStyles.None, CultureInfo.InvariantCulture, out var remaining)
            ? TimeSpan.FromSeconds(remaining)
            : TimeSpan.Zero;
    }

    private HttpMessage CreateLeaseMessage(string container, string blob, string action)
    {
        var message = CreateMessage(RequestMethod.Put, container, blob);
        message.Request.Uri.AppendQuery("comp", "lease");
        message.Request.Headers.SetValue(BlobHeaders.LeaseAction, action);
        return message;
    }

    private async Task<Azure.Response> SendLeaseAsync(HttpMessage message, string operation, string container, string blob, CancellationToken cancellationToken)
    {
        var response = await SendAsync(message, operation, PathOf(container, blob), cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, operation, PathOf(container, blob));
        return response;
    }
}
