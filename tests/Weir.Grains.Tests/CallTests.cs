
namespace Weir.Grains.Tests;

public sealed class CallTests
{
    [Fact]
    public async Task A_call_without_an_answer_times_out_naming_the_grain_and_the_method()
    {
        var clock = new ManualTimeProvider();
        await using var silo = await TestSilo.StartAsync(o => o.ResponseTimeout = TimeSpan.FromSeconds(5), clock);
        var gate = silo.GrainFactory.GetGrain<IGateGrain>("t");

        var hanging = gate.HangAsync();
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(hanging.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(1.5));
        var error = await Assert.ThrowsAsync<TimeoutException>(() => hanging.Within("the timeout"));
        Assert.Contains("gate/t", error.Message);
        Assert.Contains("HangAsync", error.Message);
        Assert.Contains("5000 ms", error.Message);
        silo.Events.ReleaseHungCalls.SetResult();
    }

    [Fact]
    public async Task A_queued_call_behind_a_hung_turn_times_out_too()
    {
        var clock = new ManualTimeProvider();
        await using var silo = await TestSilo.StartAsync(o => o.ResponseTimeout = TimeSpan.FromSeconds(5), clock);
        var gate = silo.GrainFactory.GetGrain<IGateGrain>("q");

        var hanging = gate.HangAsync();
        var queued = gate.OpenAsync();
        clock.Advance(TimeSpan.FromSeconds(6));

        await Assert.ThrowsAsync<TimeoutException>(() => hanging.Within("hung call"));
        var error = await Assert.ThrowsAsync<TimeoutException>(() => queued.Within("queued call"));
        Assert.Contains("OpenAsync", error.Message);
        silo.Events.ReleaseHungCalls.SetResult();
    }

    [Fact]
    public async Task An_exception_from_grain_code_reaches_the_caller_with_its_type_and_message()
    {
        await using var silo = await TestSilo.StartAsync();
        var gate = silo.GrainFactory.GetGrain<IGateGrain>("e");

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => gate.ThrowAsync("bad value"));
        Assert.StartsWith("bad value", error.Message);

        // The grain is still usable afterwards.
        await gate.OpenAsync().Within("a call after the exception");
    }
}
