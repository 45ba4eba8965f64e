using Weir.Benchmarks.Nexmark.Generator;
using Weir.Benchmarks.Nexmark.Model;
using Weir.Benchmarks.Nexmark.Queries;
using Weir.Benchmarks.Nexmark.Running;
using Weir.Checkpointing.Configuration;
using Weir.Hosting.Grains;
using Weir.Streaming.Api;
using Weir.Streaming.Sinks;
using Weir.Streaming.Watermarks;

namespace Weir.Nexmark.Tests;

/// <summary>A silo in this process that runs Nexmark queries to their end, checkpointing to a temporary directory.</summary>
internal sealed class NexmarkSilo(WeirRunner runner, TimeSpan checkpointInterval) : IAsyncDisposable
{
    public static async Task<NexmarkSilo> StartAsync(string checkpointInterval) =>
        new(await WeirRunner.StartAsync(channelCapacity: null, verbose: false), FlinkDuration.Parse(checkpointInterval));

    /// <summary>Runs <paramref name="query"/> over the first <paramref name="events"/> events; returns the rows its exactly-once sink committed.</summary>
    public async Task<IReadOnlyList<TRow>> RunAsync<TRow>(NexmarkQuery query, GeneratorConfig config, long events, int parallelism, int partitions)
    {
        var sinks = new CollectingSinks($"{query.Name}-{Guid.NewGuid():N}");
        var env = WeirRunner.Job(query, config, events, parallelism, partitions, sinks, probe: null);
        env.AutoWatermarkInterval = TimeSpan.FromMilliseconds(20);
        return await RunAsync<TRow>(query, env, sinks, events);
    }

    private async Task<IReadOnlyList<TRow>> RunAsync<TRow>(NexmarkQuery query, StreamExecutionEnvironment env, CollectingSinks sinks, long events)
    {
        var graph = env.Build($"nexmark-{query.Name}-{Guid.NewGuid():N}"[..24]);
        var job = await runner.SubmitAsync(graph, checkpointInterval, incremental: false, unaligned: false);
        var status = await job.WaitForTerminationAsync().Within($"{query.Name} on {events} events finishes", TimeSpan.FromSeconds(60));
        Assert.True(status.State == JobState.Finished, $"{query.Name} ended {status.State}: {status.FailureCause}");
        Assert.True(status.Checkpoints.Completed > 0, $"{query.Name} completed no checkpoint");
        return CollectedResults<TRow>.Get(sinks.Name).Records;
    }

    /// <summary>Runs <paramref name="query"/> over crafted <paramref name="events"/> (event time from each event, no out-of-orderness).</summary>
    public Task<IReadOnlyList<TRow>> RunAsync<TRow>(NexmarkQuery query, IReadOnlyList<Event> events, int parallelism)
    {
        var sinks = new CollectingSinks($"{query.Name}-{Guid.NewGuid():N}");
        var env = StreamExecutionEnvironment.Create(parallelism);
        env.AutoWatermarkInterval = TimeSpan.FromMilliseconds(20);
        query.Build(env.FromCollection(events, "crafted events", WatermarkStrategy<Event>.ForMonotonousTimestamps().WithTimestampAssigner(e => e.DateTime)), sinks);
        return RunAsync<TRow>(query, env, sinks, events.Count);
    }

    public ValueTask DisposeAsync() => runner.DisposeAsync();

    private sealed class CollectingSinks(string name) : IResultSinks
    {
        public string Name { get; } = name;

        public void Add<T>(DataStream<T> rows, string query) => rows.AddSink(new CollectingSink<T>(Name), "collect").Uid($"{query}-collect");
    }
}
