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

    [Fact]
    public async Task Waiting_for_a_job_asks_only_its_state_so_the_state_answers_while_a_subtask_is_held_in_a_long_turn_and_while_a_full_status_waits_for_it()
    {
        await using var silo = await TestSilo.StartAsync(("parallelism.default", "1"));
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var env = StreamExecutionEnvironment.Create(defaultParallelism: 1);
        env.FromCollection(Enumerable.Range(0, 10).ToArray())
            .Map(i =>
            {
                if (i == 5)
                {
                    entered.Set();
                    release.Wait(TimeSpan.FromSeconds(60));
                }

                return i;
            })
            .AddSink(new CollectingSink<int>("held-turn"));

        var job = await silo.Jobs.SubmitAsync(env.Build("held-turn"));
        var waiting = job.WaitForTerminationAsync();
        try
        {
            Assert.True(entered.Wait(TimeSpan.FromSeconds(30)), "the map function was never called with 5");

            // The state is the job master's alone, and the wait's polls ask for nothing more; the full status asks the subtask, held in its turn.
            var master = silo.Services.GetGrainFactory().GetGrain<IJobMasterGrain>("held-turn");
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(JobState.Running, await master.GetStateAsync().Within("the job's state answers", TimeSpan.FromSeconds(10)));
            }

            var status = job.GetStatusAsync();
            await Task.Delay(200);
            Assert.False(status.IsCompleted);
            Assert.False(waiting.IsCompleted);

            // The full status waits for the subtask without holding the job master: its state still answers ([AlwaysInterleave]).
            Assert.Equal(JobState.Running, await master.GetStateAsync().Within("the job's state answers while a full status waits", TimeSpan.FromSeconds(10)));
            Assert.False(status.IsCompleted);

            release.Set();
            Assert.Equal(JobState.Running, (await status.Within("the full status answers once the turn ends", TimeSpan.FromSeconds(30))).State);
            Assert.Equal(JobState.Finished, (await waiting.Within("the job finishes", TimeSpan.FromSeconds(60))).State);
            Assert.Equal(10, CollectingSink<int>.Results("held-turn").Records.Count);
        }
        finally
        {
            release.Set();
        }
    }
}
