
namespace Weir.Grains.Tests;

public sealed class CollectionTests
{
    [Fact]
    public async Task An_idle_activation_is_collected_after_its_age_and_reactivated_on_the_next_call()
    {
        var clock = new ManualTimeProvider();
        await using var silo = await TestSilo.StartAsync(
            o =>
            {
                o.CollectionAge = TimeSpan.FromMinutes(10);
                o.CollectionQuantum = TimeSpan.FromMinutes(1);
            },
            clock);
        var counter = silo.GrainFactory.GetGrain<ICounterGrain>("idle");
        Assert.Equal(1, await counter.IncrementAsync());

        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.False(silo.Events.FirstDeactivation.Task.IsCompleted);
        Assert.Equal(1, silo.Runtime.Catalog.Count);

        clock.Advance(TimeSpan.FromMinutes(2));
        // The turn's end (when the activation's idle time starts) may land on the real clock after the
        // manual one moved on a loaded machine; a few more quanta cover that without collecting early.
        for (var quanta = 0; quanta < 10 && await Task.WhenAny(silo.Events.FirstDeactivation.Task, Task.Delay(TimeSpan.FromSeconds(2))) != silo.Events.FirstDeactivation.Task; quanta++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(DeactivationReason.IdleCollection, await silo.Events.FirstDeactivation.Task.Within("idle collection"));
        await Eventually.Until(() => silo.Runtime.Catalog.Count == 0, "the activation leaves the catalog");

        Assert.Equal(1, await counter.IncrementAsync());
        Assert.Equal(2, silo.Events.Count(counter.GetGrainId(), "activate"));
    }

    [Fact]
    public async Task A_busy_activation_is_not_collected()
    {
        var clock = new ManualTimeProvider();
        await using var silo = await TestSilo.StartAsync(
            o =>
            {
                o.CollectionAge = TimeSpan.FromMinutes(10);
                o.CollectionQuantum = TimeSpan.FromMinutes(1);
                o.ResponseTimeout = TimeSpan.FromHours(1);
            },
            clock);
        var gate = silo.GrainFactory.GetGrain<IReentrantGateGrain>("busy");
        var waiting = gate.WaitAsync();

        clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(1, silo.Runtime.Catalog.Count);
        Assert.False(waiting.IsCompleted);

        await gate.OpenAsync();
        Assert.Equal("opened", await waiting.Within("the gate opens"));
    }
}
