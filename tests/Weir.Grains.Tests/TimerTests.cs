
namespace Weir.Grains.Tests;

public sealed class TimerTests
{
    [Fact]
    public async Task A_grain_timer_ticks_as_turns_on_the_silo_clock()
    {
        var clock = new ManualTimeProvider();
        await using var silo = await TestSilo.StartAsync(clock: clock);
        var grain = silo.GrainFactory.GetGrain<ITimerGrain>("t");
        await grain.StartAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(0, await grain.GetTicksAsync());

        for (var i = 1; i <= 3; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => grain.GetTicksAsync().Result == i, $"tick {i}");
        }
    }
}
