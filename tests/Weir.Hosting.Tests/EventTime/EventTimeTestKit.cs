using Weir.Hosting.Grains;
using Weir.Jobs;
using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.Graph;
using Weir.Streaming.Sinks;
using Weir.Streaming.Watermarks;

namespace Weir.Hosting.Tests.EventTime;

/// <summary>An event of the event-time tests: a key, a value and an event time.</summary>
public sealed record Event(int Key, long Value, long Time);

/// <summary>Emits a watermark one below every event's time: a deterministic, punctuated watermark.</summary>
internal sealed class PunctuatedWatermarks : IWatermarkGenerator<Event>
{
    public void OnEvent(Event record, long timestamp, IWatermarkOutput output) => output.EmitWatermark(timestamp - 1);

    public void OnPeriodicEmit(IWatermarkOutput output)
    {
    }
}

internal static class EventTimeTestKit
{
    /// <summary>Events with times that go forward but arrive up to <paramref name="jitter"/> ms out of order.</summary>
    public static Event[] Events(int seed, int count, int keys, long step, long jitter)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(i => new Event(random.Next(keys), random.Next(1, 100), (i * step) + random.NextInt64(jitter + 1)))
            .ToArray();
    }

    /// <summary>Runs a bounded job to the end and returns what its collecting sink committed.</summary>
    public static async Task<IReadOnlyList<T>> RunAsync<T>(TestSilo silo, JobGraph graph, string sink, TimeSpan? timeout = null)
    {
        var job = await silo.Jobs.SubmitAsync(graph);
        var status = await job.WaitForTerminationAsync().Within($"job {graph.Name} finishes", timeout ?? TimeSpan.FromSeconds(60));
        Assert.True(status.State == JobState.Finished, $"job {graph.Name} ended {status.State}: {status.FailureCause}");
        return CollectedResults<T>.Get(sink).Records;
    }

    public static string Sink(string name)
    {
        var unique = $"{name}-{Guid.NewGuid():N}";
        return unique;
    }

    public static AggregateFunction<Event, long, long> Count() => new(() => 0, (_, c) => c + 1, c => c, (a, b) => a + b);
}

/// <summary>Passes events on; the failure points of a job (processing, snapshot, restore) are here, under the uid "gate".</summary>
internal sealed class Gate(FailureInjector injector) : KeyedProcessFunction<int, Event, Event>
{
    private int _subtask;

    public override void Open(IKeyedRuntimeContext context)
    {
        _subtask = context.SubtaskIndex;
        injector.Check(FailurePoint.Restore, "gate", _subtask, context.IsRestored);
    }

    public override void ProcessElement(Event value, Context context, ICollector<Event> output)
    {
        injector.Check(FailurePoint.Process, "gate", _subtask);
        output.Collect(value);
    }

    public override void SnapshotState(long checkpointId) => injector.Check(FailurePoint.Snapshot, "gate", _subtask);
}
