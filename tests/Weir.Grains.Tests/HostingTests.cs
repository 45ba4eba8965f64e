using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Weir.Grains.Tests;

public sealed class HostingTests
{
    [Fact]
    public async Task Graceful_shutdown_deactivates_every_activation_then_refuses_calls()
    {
        var silo = await TestSilo.StartAsync();
        var counters = Enumerable.Range(0, 10).Select(i => silo.GrainFactory.GetGrain<ICounterGrain>($"s{i}")).ToArray();
        await Task.WhenAll(counters.Select(c => c.IncrementAsync()));

        await silo.StopAsync().Within("host stop");

        foreach (var counter in counters)
        {
            Assert.Equal(1, silo.Events.Count(counter.GetGrainId(), "deactivate:ShuttingDown"));
        }

        Assert.Equal(0, silo.Runtime.Catalog.Count);
        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => counters[0].IncrementAsync());
        Assert.Contains("shutting down", error.Message);
        await silo.DisposeAsync();
    }

    [Fact]
    public async Task Invalid_options_stop_start_up_with_a_message_naming_option_value_and_rule()
    {
        using var host = TestSilo.Build(o =>
        {
            o.ResponseTimeout = TimeSpan.Zero;
            o.CollectionQuantum = TimeSpan.FromHours(1);
            o.CollectionAge = TimeSpan.FromMinutes(5);
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("SiloOptions.ResponseTimeout = 00:00:00 is not allowed: it must be greater than zero", error.Message);
        Assert.Contains("SiloOptions.CollectionQuantum = 01:00:00 is not allowed: it must be less than CollectionAge (00:05:00)", error.Message);
    }
}
