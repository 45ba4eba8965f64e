using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Weir.Storage.Tests.AzureBlob;

/// <summary>Records every attempt that reaches the transport: the REST operation, its status, and how many were in flight at once.</summary>
public sealed class RecordingPolicy : HttpPipelinePolicy
{
    private readonly ConcurrentQueue<(string Operation, int Status)> _attempts = new();
    private readonly ConcurrentDictionary<string, int> _peakInFlight = new();
    private readonly ConcurrentDictionary<string, int> _inFlight = new();

    /// <summary>Delay each attempt of this operation (so that concurrent uploads overlap observably).</summary>
    public (string Operation, TimeSpan Delay)? Slow { get; set; }

    public IReadOnlyList<(string Operation, int Status)> Attempts => [.. _attempts];

    public int Count(string operation) => _attempts.Count(a => a.Operation == operation);

    public int PeakInFlight(string operation) => _peakInFlight.GetValueOrDefault(operation);

    public void Clear() => _attempts.Clear();

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var operation = OperationOf(message.Request);
        var now = _inFlight.AddOrUpdate(operation, 1, (_, n) => n + 1);
        _peakInFlight.AddOrUpdate(operation, now, (_, peak) => Math.Max(peak, now));
        try
        {
            if (Slow is { } slow && slow.Operation == operation)
            {
                await Task.Delay(slow.Delay, message.CancellationToken);
            }

            await ProcessNextAsync(message, pipeline);
            _attempts.Enqueue((operation, message.Response.Status));
        }
        catch
        {
            _attempts.Enqueue((operation, 0));
            throw;
        }
        finally
        {
            _inFlight.AddOrUpdate(operation, 0, (_, n) => n - 1);
        }
    }

    /// <summary>The REST operation of a request, from its method and query.</summary>
    public static string OperationOf(Request request)
    {
        var query = request.Uri.Query;
        var method = request.Method.Method;
        return query switch
        {
            _ when query.Contains("comp=blocklist", StringComparison.Ordinal) => "Put Block List",
            _ when query.Contains("comp=block", StringComparison.Ordinal) => "Put Block",
            _ when query.Contains("comp=lease", StringComparison.Ordinal) => "Lease Blob",
            _ when query.Contains("comp=list", StringComparison.Ordinal) => "List Blobs",
            _ when query.Contains("restype=container", StringComparison.Ordinal) => method + " Container",
            _ => method switch
            {
                "PUT" => "Put Blob",
                "GET" => "Get Blob",
                "HEAD" => "Get Blob Properties",
                "DELETE" => "Delete Blob",
                _ => method,
            },
        };
    }
}
