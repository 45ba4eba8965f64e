namespace Weir.Grains.Tests;

public sealed class TurnTests
{
    [Fact]
    public async Task Turns_of_a_grain_never_overlap_under_100_concurrent_callers()
    {
        await using var silo = await TestSilo.StartAsync();
        var probe = silo.GrainFactory.GetGrain<ITurnProbeGrain>("p");

        var calls = Enumerable.Range(0, 100).Select(i => Task.Run(() => probe.EnterAsync(i))).ToArray();
        var results = await Task.WhenAll(calls).Within("100 calls");

        Assert.Equal(Enumerable.Range(0, 100), results.Order());
        var (maxInside, count) = await probe.GetStatsAsync();
        Assert.Equal(100, count);
        Assert.Equal(1, maxInside);
    }

    [Fact]
    public async Task A_reentrant_grain_interleaves_turns_at_awaits_but_never_runs_them_in_parallel()
    {
        await using var silo = await TestSilo.StartAsync();
        var probe = silo.GrainFactory.GetGrain<IReentrantTurnProbeGrain>("p");

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(() => probe.EnterAsync(i)))).Within("100 calls");

        Assert.Equal(100, results.Length);
        var (maxInside, count) = await probe.GetStatsAsync();
        Assert.Equal(100, count);
        Assert.True(maxInside > 1, $"turns of a reentrant grain should interleave; at most {maxInside} were inside at once");
    }

    [Fact]
    public async Task A_non_reentrant_grain_does_not_start_a_call_while_another_awaits()
    {
        await using var silo = await TestSilo.StartAsync(o =>
        {
            o.ResponseTimeout = TimeSpan.FromSeconds(1);
            o.DeactivationTimeout = TimeSpan.FromSeconds(1);
        });
        var gate = silo.GrainFactory.GetGrain<IGateGrain>("g");

        var waiting = gate.WaitAsync();
        var open = gate.OpenAsync();

        // OpenAsync queues behind WaitAsync, which waits for OpenAsync: both time out.
        await Assert.ThrowsAsync<TimeoutException>(() => waiting);
        await Assert.ThrowsAsync<TimeoutException>(() => open);
    }

    [Fact]
    public async Task A_reentrant_grain_lets_a_second_call_release_the_first()
    {
        await using var silo = await TestSilo.StartAsync();
        var gate = silo.GrainFactory.GetGrain<IReentrantGateGrain>("g");

        var waiting = gate.WaitAsync();
        await gate.OpenAsync().Within("OpenAsync");
        Assert.Equal("opened", await waiting.Within("WaitAsync"));
    }

    [Fact]
    public async Task An_always_interleave_call_starts_while_a_turn_awaits_and_other_calls_still_wait_for_that_turn()
    {
        await using var silo = await TestSilo.StartAsync();
        var gate = silo.GrainFactory.GetGrain<IInterleavingGateGrain>("g");

        var waiting = gate.WaitAsync();
        var ping = gate.PingAsync();
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        Assert.False(ping.IsCompleted, "a call to a method that does not interleave started while another turn awaited");

        // OpenInterleavingAsync is [AlwaysInterleave]: it passes the queued ping and releases the waiting turn.
        await gate.OpenInterleavingAsync().Within("OpenInterleavingAsync");
        Assert.Equal("opened", await waiting.Within("WaitAsync"));
        Assert.Equal(1, await ping.Within("PingAsync"));
    }

    [Fact]
    public async Task While_an_always_interleave_call_awaits_other_calls_start()
    {
        await using var silo = await TestSilo.StartAsync(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
        var gate = silo.GrainFactory.GetGrain<IInterleavingGateGrain>("h");

        var holding = gate.HoldAsync();
        Assert.Equal(1, await gate.PingAsync().Within("PingAsync"));
        await gate.ReleaseHoldAsync().Within("ReleaseHoldAsync");
        Assert.Equal("released", await holding.Within("HoldAsync"));
    }

    [Fact]
    public async Task Continuations_of_grain_code_run_on_the_activation_not_the_callers_context()
    {
        await using var silo = await TestSilo.StartAsync();
        var probe = silo.GrainFactory.GetGrain<ITurnProbeGrain>("q");

        // The caller's code after await must not run under the grain's synchronization context.
        await probe.EnterAsync(1);
        Assert.Null(SynchronizationContext.Current);
    }
}
