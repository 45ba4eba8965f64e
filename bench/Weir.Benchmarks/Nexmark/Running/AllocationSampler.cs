using System.Diagnostics;
using System.Diagnostics.Tracing;

namespace Weir.Benchmarks.Nexmark.Running;

/// <summary>
/// <c>--allocations</c>: what the process allocates, by type, from the runtime's allocation ticks
/// (<c>GCAllocationTick</c>: one event per about 100 KB allocated, naming the type of the object that
/// crossed the mark), so a type's share of the ticks estimates its share of the bytes. Each tick
/// is stamped on the <see cref="Stopwatch"/> clock, so a run's measured part can be cut out of them.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    private readonly object _gate = new();
    private readonly List<(long Timestamp, string Type, long Bytes)> _ticks = [];
    private readonly DateTime _utcAtStart = DateTime.UtcNow;
    private readonly long _timestampAtStart = Stopwatch.GetTimestamp();

    /// <summary>The types allocated between two <see cref="Stopwatch"/> timestamps, most bytes first, and the bytes sampled in all.</summary>
    public (IReadOnlyList<(string Type, long Bytes)> Top, long Total) Between(double fromSeconds, double toSeconds, int top)
    {
        var from = (long)(fromSeconds * Stopwatch.Frequency);
        var to = (long)(toSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            var inside = _ticks.Where(t => t.Timestamp >= from && t.Timestamp <= to).ToArray();
            _ticks.RemoveAll(t => t.Timestamp <= to);
            var byType = inside.GroupBy(t => t.Type).Select(g => (g.Key, g.Sum(t => t.Bytes))).OrderByDescending(t => t.Item2).Take(top).ToArray();
            return (byType, inside.Sum(t => t.Bytes));
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource)
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is not { } names)
        {
            return;
        }

        var type = names.IndexOf("TypeName") is var t and >= 0 ? eventData.Payload![t] as string ?? "?" : "?";
        var amount = names.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(eventData.Payload![a]) : 100_000;
        var timestamp = _timestampAtStart + (long)((eventData.TimeStamp.ToUniversalTime() - _utcAtStart).TotalSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            _ticks.Add((timestamp, type, amount));
        }
    }
}
