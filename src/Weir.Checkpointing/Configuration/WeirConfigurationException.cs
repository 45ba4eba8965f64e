namespace Weir.Checkpointing.Configuration;

/// <summary>
/// Weir's configuration has values that are not allowed. Thrown once for all of them, so one
/// start-up shows every mistake. Each failure reads
/// <c>Weir:&lt;key&gt; = '&lt;value&gt;' is not valid: &lt;what is allowed&gt;.</c>; secret values show as '***'.
/// </summary>
public sealed class WeirConfigurationException : Exception
{
    /// <summary>Creates the exception from one or more failure messages.</summary>
    public WeirConfigurationException(IEnumerable<string> failures)
        : this(failures.ToList())
    {
    }

    private WeirConfigurationException(List<string> failures)
        : base(Compose(failures))
    {
        Failures = failures;
    }

    /// <summary>One message per invalid setting.</summary>
    public IReadOnlyList<string> Failures { get; }

    private static string Compose(List<string> failures)
    {
        if (failures.Count == 0)
        {
            throw new ArgumentException("A configuration error needs at least one failure.", nameof(failures));
        }

        return failures.Count == 1
            ? $"Weir's configuration is not valid: {failures[0]}"
            : $"Weir's configuration is not valid ({failures.Count} settings):{Environment.NewLine}" + string.Join(Environment.NewLine, failures.Select(f => "  " + f));
    }
}
