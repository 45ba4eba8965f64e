using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Weir.Storage.Tests.AzureBlob;

/// <summary>The faults <see cref="FaultInjectionPolicy"/> injects.</summary>
public enum InjectedFault
{
    /// <summary>The service answers 503 ServerBusy; the request never reaches it.</summary>
    ServiceUnavailable,

    /// <summary>The request reaches the service and is applied, but its response is lost (a timeout).</summary>
    ResponseTimeout,

    /// <summary>The connection breaks: half of the request body is sent, then the stream fails (before sending, for bodiless requests).</summary>
    ConnectionCut,
}

/// <summary>
/// Injects faults into the attempts that reach the transport (it sits before the transport, after
/// Azure.Core's retry policy, so retries see them): a seeded <see cref="Random"/> picks, per
/// attempt, no fault or one of <see cref="InjectedFault"/> with the configured shares. With
/// sequential requests the same seed gives the same faults.
/// </summary>
public sealed class FaultInjectionPolicy(int seed) : HttpPipelinePolicy
{
    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();
    private readonly Dictionary<InjectedFault, int> _injected = Enum.GetValues<InjectedFault>().ToDictionary(f => f, _ => 0);
    private int _attempts;

    /// <summary>Share of attempts answered 503.</summary>
    public double ServiceUnavailableShare { get; init; }

    /// <summary>Share of attempts whose response is lost after the service applied them.</summary>
    public double ResponseTimeoutShare { get; init; }

    /// <summary>Share of attempts whose connection breaks mid-upload.</summary>
    public double ConnectionCutShare { get; init; }

    /// <summary>Off while false (e.g. while a test checks the outcome).</summary>
    public bool Enabled { get; set; } = true;

    public int Attempts
    {
        get
        {
            lock (_gate)
            {
                return _attempts;
            }
        }
    }

    public int Injected(InjectedFault fault)
    {
        lock (_gate)
        {
            return _injected[fault];
        }
    }

    public int InjectedTotal
    {
        get
        {
            lock (_gate)
            {
                return _injected.Values.Sum();
            }
        }
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        switch (Decide())
        {
            case InjectedFault.ServiceUnavailable:
                message.Response = new InjectedResponse(503, "ServerBusy", "The server is currently unable to receive requests (injected).");
                return;

            case InjectedFault.ResponseTimeout:
                await ProcessNextAsync(message, pipeline);
                message.Response.Dispose();
                throw new TaskCanceledException("Injected fault: the response did not arrive within the network timeout.", new TimeoutException());

            case InjectedFault.ConnectionCut when message.Request.Content is { } content:
                message.Request.Content = new CutContent(content);
                try
                {
                    await ProcessNextAsync(message, pipeline);
                }
                finally
                {
                    message.Request.Content = content;
                }

                throw new InvalidOperationException("A cut connection delivered a response.");

            case InjectedFault.ConnectionCut:
                throw new IOException("Injected fault: the connection was reset before the request was sent.");

            default:
                await ProcessNextAsync(message, pipeline);
                return;
        }
    }

    private InjectedFault? Decide()
    {
        lock (_gate)
        {
            if (!Enabled)
            {
                return null;
            }

            _attempts++;
            var roll = _random.NextDouble();
            InjectedFault? fault = roll < ServiceUnavailableShare ? InjectedFault.ServiceUnavailable
                : roll < ServiceUnavailableShare + ResponseTimeoutShare ? InjectedFault.ResponseTimeout
                : roll < ServiceUnavailableShare + ResponseTimeoutShare + ConnectionCutShare ? InjectedFault.ConnectionCut
                : null;
            if (fault is { } f)
            {
                _injected[f]++;
            }

            return fault;
        }
    }

    /// <summary>Declares the whole body's length, sends half of it, then fails like a reset connection.</summary>
    private sealed class CutContent(RequestContent inner) : RequestContent
    {
        public override bool TryComputeLength(out long length) => inner.TryComputeLength(out length);

        public override void WriteTo(Stream stream, CancellationToken cancellation) => WriteToAsync(stream, cancellation).GetAwaiter().GetResult();

        public override async Task WriteToAsync(Stream stream, CancellationToken cancellation)
        {
            using var whole = new MemoryStream();
            await inner.WriteToAsync(whole, cancellation);
            await stream.WriteAsync(whole.GetBuffer().AsMemory(0, (int)(whole.Length / 2)), cancellation);
            await stream.FlushAsync(cancellation);
            throw new IOException("Injected fault: the connection was reset mid-upload.");
        }

        public override void Dispose()
        {
            // The original content belongs to the request, which gets it back.
        }
    }

    /// <summary>A service error made up without the service.</summary>
    private sealed class InjectedResponse(int status, string errorCode, string message) : Response
    {
        private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase)
        {
            ["x-ms-error-code"] = errorCode,
            ["Content-Type"] = "application/xml",
        };

        public override int Status => status;

        // Azure.Core classifies responses in its transport; this one never went through it.
        public override bool IsError => true;

        public override string ReasonPhrase => "Injected";

        public override Stream? ContentStream { get; set; } = new MemoryStream(Encoding.UTF8.GetBytes(
            $"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{errorCode}</Code><Message>{message}</Message></Error>"));

        public override string ClientRequestId { get; set; } = string.Empty;

        public override void Dispose() => ContentStream?.Dispose();

        protected override bool ContainsHeader(string name) => _headers.ContainsKey(name);

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => _headers.Select(h => new HttpHeader(h.Key, h.Value));

        protected override bool TryGetHeader(string name, out string value)
        {
            var found = _headers.TryGetValue(name, out var header);
            value = header ?? string.Empty;
            return found;
        }

        protected override bool TryGetHeaderValues(string name, out IEnumerable<string> values)
        {
            var found = _headers.TryGetValue(name, out var header);
            values = found ? [header!] : [];
            return found;
        }
    }
}
