using Weir.Hosting.Grains;
using Weir.Streaming.Api;
using Weir.Streaming.Sinks;

namespace Weir.Hosting.Tests;

public sealed class BoundedJobTests
{
    [Fact]
    public async Task A_bounded_keyed_job_finishes_with_the_running_sums_of_every_key()
    {
        await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "20ms"), ("parallelism.default", "2"));
        var words = Enumerable.Range(0, 5_000).Select(i => $"w{i % 7}").ToArray();
        var env = StreamExecutionEnvironment.Create(defaultParallelism: 2);
        env.FromCollection(words)
            .Map(w => (Word: w, Count: 1))
            .KeyBy(t => t.Word)
            .Reduce((a, b) => (a.Word, a.Count + b.Count))
            .AddSink(new CollectingSink<(string Word, int Count)>("bounded-sums"));

        var job = await silo.Jobs.SubmitAsync(env.Build("bounded-sums"));
        var status = await job.WaitForTerminationAsync().Within("the job finishes", TimeSpan.FromSeconds(60));

        Assert.Equal(JobState.Finished, status.State);
        var results = CollectingSink<(string Word, int Count)>.Results("bounded-sums").Records;
        Assert.Equal(words.Length, results.Count);
        var finals = results.GroupBy(r => r.Word).ToDictionary(g => g.Key, g => g.Max(r => r.Count));
        Assert.Equal(words.GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count()), finals);
    }
}
