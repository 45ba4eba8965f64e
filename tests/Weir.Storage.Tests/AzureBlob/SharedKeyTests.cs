using Azure.Core;
using Azure.Core.Pipeline;
using Weir.Storage.AzureBlob;
using Weir.Storage.AzureBlob.Authorization;

namespace Weir.Storage.Tests.AzureBlob;

public sealed class SharedKeyTests
{
    [Fact]
    public void Development_storage_is_azurites_well_known_account()
    {
        var parsed = StorageConnectionString.Parse("UseDevelopmentStorage=true");
        Assert.Equal("devstoreaccount1", parsed.Credential.AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), parsed.BlobEndpoint);
    }

    [Fact]
    public void Account_settings_build_the_blob_endpoint()
    {
        var key = Convert.ToBase64String(new byte[32]);
        var china = StorageConnectionString.Parse($"defaultendpointsprotocol=https; AccountName=weiracct; AccountKey={key}; EndpointSuffix=core.chinacloudapi.cn;QueueEndpoint=https://ignored");
        Assert.Equal("weiracct", china.Credential.AccountName);
        Assert.Equal(new Uri("https://weiracct.blob.core.chinacloudapi.cn"), china.BlobEndpoint);

        var plain = StorageConnectionString.Parse($"AccountName=weiracct;AccountKey={key}");
        Assert.Equal(new Uri("https://weiracct.blob.core.windows.net"), plain.BlobEndpoint);

        var explicitEndpoint = StorageConnectionString.Parse($"AccountName=devstoreaccount1;AccountKey={key};BlobEndpoint=http://127.0.0.1:41000/devstoreaccount1/");
        Assert.Equal(new Uri("http://127.0.0.1:41000/devstoreaccount1"), explicitEndpoint.BlobEndpoint);
    }

    [Theory]
    [InlineData("AccountKey=AAAA", "AccountName is missing")]
    [InlineData("AccountName=weiracct", "AccountKey is missing (account 'weiracct')")]
    [InlineData("AccountName=weiracct;AccountKey=AAAA;DefaultEndpointsProtocol=ftp", "DefaultEndpointsProtocol must be 'https' or 'http'")]
    [InlineData("UseDevelopmentStorage=true;AccountName=x", "cannot be combined")]
    [InlineData("AccountName=weiracct;SharedAccessSignature=sv=2022&sig=abc", "SAS connection strings are not supported")]
    [InlineData("justsomething", "every setting must have the form Key=Value")]
    [InlineData("AccountName=weiracct;AccountKey=@@@", "is not valid base64")]
    public void A_bad_connection_string_is_refused_naming_keys_not_values(string connectionString, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => StorageConnectionString.Parse(connectionString));
        Assert.Contains(reason, error.Message);
        Assert.DoesNotContain("AAAA", error.Message);
        Assert.DoesNotContain("@@@", error.Message);
        Assert.DoesNotContain("sig=abc", error.Message);
        Assert.DoesNotContain("justsomething", error.Message);
    }

    [Fact]
    public void The_string_to_sign_canonicalizes_headers_and_resource()
    {
        var pipeline = HttpPipelineBuilder.Build(new BlobRestClientOptions());
        using var message = pipeline.CreateMessage();
        var request = message.Request;
        request.Method = RequestMethod.Put;
        request.Uri.Reset(new Uri("http://127.0.0.1:10000/devstoreaccount1/c01/job/a%20b"));
        request.Uri.AppendQuery("comp", "block");
        request.Uri.AppendQuery("blockid", "QUJD+/w==", escapeValue: true);
        request.Headers.SetValue("x-ms-version", "2021-12-02");
        request.Headers.SetValue("X-MS-Date", "Sat, 21 Nov 2026 17:55:59 GMT");
        request.Headers.SetValue("x-ms-meta-b", "  two ");
        request.Headers.SetValue("Content-Type", "application/octet-stream");
        request.Headers.SetValue("If-None-Match", "*");
        request.Content = RequestContent.Create(new byte[3]);

        var expected = string.Join('\n',
            "PUT", string.Empty, string.Empty, "3", string.Empty, "application/octet-stream", string.Empty, string.Empty, string.Empty, "*", string.Empty, string.Empty,
            "x-ms-date:Sat, 21 Nov 2026 17:55:59 GMT",
            "x-ms-meta-b:two",
            "x-ms-version:2021-12-02",
            "/devstoreaccount1/devstoreaccount1/c01/job/a%20b",
            "blockid:QUJD+/w==",
            "comp:block");
        Assert.Equal(expected, SharedKeyStringToSign.Build(request, "devstoreaccount1"));
    }

    [Fact]
    public void A_zero_length_body_signs_an_empty_content_length()
    {
        var pipeline = HttpPipelineBuilder.Build(new BlobRestClientOptions());
        using var message = pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Put;
        message.Request.Uri.Reset(new Uri("https://weiracct.blob.core.windows.net/c01/empty"));
        message.Request.Content = RequestContent.Create(Array.Empty<byte>());
        Assert.StartsWith("PUT\n\n\n\n", SharedKeyStringToSign.Build(message.Request, "weiracct"));
        Assert.EndsWith("\n/weiracct/c01/empty", SharedKeyStringToSign.Build(message.Request, "weiracct"));
    }
}
