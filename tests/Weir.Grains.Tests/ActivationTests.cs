namespace Weir.Grains.Tests;

public sealed class ActivationTests
{
    [Fact]
    public async Task A_grain_is_activated_on_its_first_call_and_only_once()
    {
        await using var silo = await TestSilo.StartAsync();
        var counter = silo.GrainFactory.GetGrain<ICounterGrain>("a");
        var id = counter.GetGrainId();
        Assert.Equal(0, silo.Events.Count(id, "activate"));

        Assert.Equal(1, await counter.IncrementAsync());
        Assert.Equal(2, await silo.GrainFactory.GetGrain<ICounterGrain>("a").IncrementAsync());
        Assert.Equal(2, await counter.GetValueAsync());

        Assert.Equal(1, silo.Events.Count(id, "activate"));
        Assert.Equal(new GrainId("counter", "a"), id);
    }

    [Fact]
    public async Task Integer_keys_address_distinct_grains()
    {
        await using var silo = await TestSilo.StartAsync();
        Assert.Equal(42, await silo.GrainFactory.GetGrain<IIntegerKeyedGrain>(42).GetKeyAsync());
        Assert.Equal(-7, await silo.GrainFactory.GetGrain<IIntegerKeyedGrain>(-7).GetKeyAsync());
    }

    [Fact]
    public async Task Deactivate_on_idle_runs_OnDeactivate_and_the_next_call_activates_again()
    {
        await using var silo = await TestSilo.StartAsync();
        var counter = silo.GrainFactory.GetGrain<ICounterGrain>("d");
        await counter.IncrementAsync();
        await counter.DeactivateAsync();
        Assert.Equal(DeactivationReason.ApplicationRequested, await silo.Events.FirstDeactivation.Task.Within("OnDeactivateAsync"));

        Assert.Equal(1, await counter.IncrementAsync());
        Assert.Equal(2, silo.Events.Count(counter.GetGrainId(), "activate"));
    }

    [Fact]
    public async Task A_failed_activation_fails_the_call_with_its_exception_and_the_next_call_retries()
    {
        FailingActivationGrain.Attempts = 0;
        await using var silo = await TestSilo.StartAsync();
        var grain = silo.GrainFactory.GetGrain<IFailingActivationGrain>("f");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.PingAsync());
        Assert.Equal("first activation fails", error.Message);
        Assert.Equal("pong", await grain.PingAsync());
    }

    [Fact]
    public async Task An_interface_without_a_grain_class_fails_with_a_message_naming_it()
    {
        await using var silo = await TestSilo.StartAsync();
        var error = Assert.Throws<InvalidOperationException>(() => silo.GrainFactory.GetGrain<IUnimplementedGrain>("x"));
        Assert.Contains(nameof(IUnimplementedGrain), error.Message);
    }

    public interface IUnimplementedGrain : IGrainWithStringKey
    {
        Task PingAsync();
    }
}
