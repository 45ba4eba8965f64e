using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Weir.Grains.Membership;

namespace Weir.Grains.Hosting;

/// <summary>Checks <see cref="SiloOptions"/> at start-up; each failure names the option, its value and what is allowed.</summary>
internal sealed class SiloOptionsValidator(IServiceProvider services) : IValidateOptions<SiloOptions>
{
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, SiloOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SiloName))
        {
            failures.Add($"SiloOptions.SiloName = '{options.SiloName}' is not allowed: it must be a non-empty name.");
        }

        Positive(nameof(SiloOptions.ResponseTimeout), options.ResponseTimeout, failures);
        Positive(nameof(SiloOptions.CollectionAge), options.CollectionAge, failures);
        Positive(nameof(SiloOptions.CollectionQuantum), options.CollectionQuantum, failures);
        Positive(nameof(SiloOptions.DeactivationTimeout), options.DeactivationTimeout, failures);
        if (options.CollectionQuantum > TimeSpan.Zero && options.CollectionAge > TimeSpan.Zero && options.CollectionQuantum >= options.CollectionAge)
        {
            failures.Add($"SiloOptions.CollectionQuantum = {options.CollectionQuantum} is not allowed: it must be less than CollectionAge ({options.CollectionAge}).");
        }

        if (options.Cluster is null)
        {
            failures.Add("SiloOptions.Cluster = null is not allowed: leave it at its default (no ClusterId) for a single silo.");
        }
        else
        {
            ClusterOptionsValidator.Validate(options.Cluster, services.GetService<IMembershipTable>() is not null, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(string option, TimeSpan value, List<string> failures)
    {
        if (value <= TimeSpan.Zero || value > MaxTimeout)
        {
            failures.Add($"SiloOptions.{option} = {value} is not allowed: it must be greater than zero and at most {MaxTimeout}.");
        }
    }
}
