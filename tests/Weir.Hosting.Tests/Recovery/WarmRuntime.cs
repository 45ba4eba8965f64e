using Weir.Hosting.Grains;
using Weir.Jobs;
using Weir.Streaming.Sinks;
using static Weir.Jobs.ExactlyOnceCheckJob;

namespace Weir.Hosting.Tests.Recovery;

/// <summary>
/// Runs one short job with full and incremental checkpoints before the suite, so that the first
/// test does not pay for compiling the runtime, the checkpoint paths and the stores: a failure
/// armed for a subtask's second snapshot must come before a one-second job ends, also first.
/// </summary>
public sealed class WarmRuntime : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        foreach (var incremental in new[] { "false", "true" })
        {
            await using var silo = await TestSilo.StartAsync(("execution.checkpointing.interval", "20ms"), ("execution.checkpointing.incremental", incremental));
            var sink = $"warm-up-{incremental}";
            CollectedResults<SequenceRecord>.Reset(sink);
            var job = await silo.Jobs.SubmitAsync(SequenceJob.Build(sink, 2, 4, 500, 4 * 500 / 2 / 0.3, new FailureInjector([], seed: 0), sink));
            var status = await job.WaitForTerminationAsync().Within("the warm-up job finishes", TimeSpan.FromSeconds(60));
            Assert.Equal(JobState.Finished, status.State);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
