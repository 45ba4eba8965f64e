using Weir.Grains.Membership;
using Weir.Grains.Transport;

namespace Weir.Client;

/// <summary>How a <see cref="WeirClient"/> finds and talks to a cluster.</summary>
public sealed class WeirClientOptions
{
    /// <summary>The cluster to connect to; gateways of another cluster refuse the client.</summary>
    public string ClusterId { get; set; } = string.Empty;

    /// <summary>Gateways to try, as <c>ip:port</c> or <c>host:port</c>. Once connected, the client also learns the cluster's other gateways.</summary>
    public IList<string> Gateways { get; } = [];

    /// <summary>A membership table to read gateways from (e.g. the file table of a local cluster), in addition to <see cref="Gateways"/>.</summary>
    public IMembershipTable? MembershipTable { get; set; }

    /// <summary>The client's name in the silos' logs. Default: the machine name.</summary>
    public string ClientName { get; set; } = Environment.MachineName;

    /// <summary>How long a call waits for its answer (including for a gateway while reconnecting). Default 30 s.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a TCP connect to a gateway may take. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a gateway may take to answer the handshake. Default 5 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest frame sent or accepted, in bytes. Default 16 MiB.</summary>
    public int MaxFrameBytes { get; set; } = ConnectionOptions.DefaultMaxFrameBytes;

    /// <summary>Fails with a message naming the option, its value and what is allowed.</summary>
    internal void Validate()
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            failures.Add($"WeirClientOptions.ClusterId = '{ClusterId}' is not allowed: it must name the cluster to connect to.");
        }

        if (Gateways.Count == 0 && MembershipTable is null)
        {
            failures.Add("WeirClientOptions.Gateways is empty and MembershipTable is null: give at least one gateway (ip:port) or a membership table to find them in.");
        }

        foreach (var gateway in Gateways)
        {
            if (!GatewayAddress.TryParse(gateway, out _))
            {
                failures.Add($"WeirClientOptions.Gateways contains '{gateway}', which is not allowed: each must be 'host:port' or 'ip:port' with a port from 1 to 65535.");
            }
        }

        Positive(nameof(ResponseTimeout), ResponseTimeout, failures);
        Positive(nameof(ConnectTimeout), ConnectTimeout, failures);
        Positive(nameof(HandshakeTimeout), HandshakeTimeout, failures);
        if (MaxFrameBytes is < 64 * 1024 or > 1024 * 1024 * 1024)
        {
            failures.Add($"WeirClientOptions.MaxFrameBytes = {MaxFrameBytes} is not allowed: it must be between {64 * 1024} and {1024 * 1024 * 1024}.");
        }

        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, failures));
        }
    }

    private static void Positive(string option, TimeSpan value, List<string> failures)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
        {
            failures.Add($"WeirClientOptions.{option} = {value} is not allowed: it must be greater than zero and at most one day.");
        }
    }
}
