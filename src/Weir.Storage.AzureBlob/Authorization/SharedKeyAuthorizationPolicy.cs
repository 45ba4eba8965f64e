using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Weir.Storage.AzureBlob.Authorization;

/// <summary>
/// Signs every attempt of a request with the account's Shared Key. It sits after the retry
/// policy, so each retry gets a fresh <c>x-ms-date</c> and signature. Azure.Core's logging
/// policy, which runs after it, redacts the <c>Authorization</c> header.
/// </summary>
internal sealed class SharedKeyAuthorizationPolicy(SharedKeyCredential credential, TimeProvider? timeProvider = null) : HttpPipelineSynchronousPolicy
{
    private readonly TimeProvider _clock = timeProvider ?? TimeProvider.System;

    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        request.Headers.SetValue("x-ms-date", _clock.GetUtcNow().ToString("R", CultureInfo.InvariantCulture));
        var signature = credential.Sign(SharedKeyStringToSign.Build(request, credential.AccountName));
        request.Headers.SetValue(HttpHeader.Names.Authorization, $"SharedKey {credential.AccountName}:{signature}");
    }

    public override string ToString() => $"SharedKeyAuthorizationPolicy({credential})";
}
