using System.Security.Cryptography;
using System.Text;

namespace Weir.Storage.AzureBlob.Authorization;

/// <summary>
/// A storage account name and its Shared Key. The key bytes never leave this class: it signs
/// strings and nothing else, and <see cref="ToString"/> shows only the account name.
/// </summary>
internal sealed class SharedKeyCredential
{
    private readonly byte[] _key;

    public SharedKeyCredential(string accountName, string base64Key)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountName);
        AccountName = accountName;
        var key = new byte[base64Key.Length];
        if (!Convert.TryFromBase64String(base64Key, key, out var written) || written == 0)
        {
            // Never echo the value: it is (a mistyped) secret.
            throw new ArgumentException($"The account key for storage account '{accountName}' is not valid base64.", nameof(base64Key));
        }

        _key = key[..written];
    }

    public string AccountName { get; }

    /// <summary>Base64 of HMAC-SHA256 of <paramref name="stringToSign"/> (UTF-8) under the account key.</summary>
    public string Sign(string stringToSign) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(stringToSign)));

    public override string ToString() => $"SharedKeyCredential(AccountName={AccountName}, AccountKey=<redacted>)";
}
