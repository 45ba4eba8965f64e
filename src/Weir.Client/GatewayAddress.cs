using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Weir.Client;

/// <summary>A configured gateway: <c>host:port</c>, resolved when the client connects.</summary>
internal readonly record struct GatewayAddress(string Host, int Port)
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out GatewayAddress? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port > 0)
        {
            address = new GatewayAddress(endpoint.Address.ToString(), endpoint.Port);
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > IPEndPoint.MaxPort)
        {
            return false;
        }

        address = new GatewayAddress(text[..colon], port);
        return true;
    }

    public async Task<IPEndPoint[]> ResolveAsync(CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(Host, out var ip))
        {
            return [new IPEndPoint(ip, Port)];
        }

        var port = Port;
        var addresses = await Dns.GetHostAddressesAsync(Host, cancellationToken).ConfigureAwait(false);
        return addresses.Select(a => new IPEndPoint(a, port)).ToArray();
    }

    public override string ToString() => $"{Host}:{Port}";
}
