using Microsoft.Extensions.Configuration;
using Weir.Checkpointing.Configuration.Parsing;
using K = Weir.Checkpointing.Configuration.ConfigurationKeys;

namespace Weir.Checkpointing.Configuration;

/// <summary>
/// Every setting Weir reads from the <c>Weir</c> configuration section, under Flink's key names
/// (<c>execution.checkpointing.interval</c>, <c>restart-strategy.type</c>, …). Keys may come flat
/// from JSON or the command line (<c>--Weir:execution.checkpointing.interval=1s</c>) or nested
/// from environment variables (<c>Weir__execution__checkpointing__interval=1s</c>).
/// </summary>
/// <remarks>
/// <see cref="Parse(IConfiguration)"/> validates every key and throws one
/// <see cref="WeirConfigurationException"/> listing all bad values. Keys Weir does not know are
/// not errors: they are listed in <see cref="UnknownKeys"/> so the host can warn about them.
/// Instances are immutable.
/// </remarks>
public sealed class WeirOptions
{
    /// <summary>The configuration section Weir reads.</summary>
    public const string SectionName = "Weir";

    private static readonly Lazy<IReadOnlySet<string>> AllKeys = new(() =>
    {
        var reader = new SettingReader(SectionSettings.FromOrderedPairs(SectionName, []));
        _ = Read(reader);
        return reader.KnownKeys.ToHashSet(StringComparer.OrdinalIgnoreCase);
    });

    /// <summary>The settings this instance was parsed from; null when it was built in code.</summary>
    private IReadOnlyList<Setting>? _source;

    /// <summary>Flink's defaults (checkpointing disabled, so no restarts).</summary>
    public static WeirOptions Default { get; } = Parse(new ConfigurationBuilder().Build());

    /// <summary>Checkpoint interval, mode, timeouts, retention and location.</summary>
    public CheckpointingOptions Checkpointing { get; init; } = new();

    /// <summary>The state backend and its changelog.</summary>
    public StateOptions State { get; init; } = new();

    /// <summary>Parallelism, chaining, watermark and buffer settings.</summary>
    public PipelineOptions Pipeline { get; init; } = new();

    /// <summary>How a failed job restarts.</summary>
    public RestartStrategyOptions RestartStrategy { get; init; } = new();

    /// <summary>The checkpoint or savepoint to start from.</summary>
    public StateRecoveryOptions StateRecovery { get; init; } = new();

    /// <summary>Credentials for checkpoints in Azure Blob Storage.</summary>
    public AzureStorageOptions AzureStorage { get; init; } = new();

    /// <summary>Keys in the section that Weir does not read (with '.' separators), sorted; the host warns about them.</summary>
    public IReadOnlyList<string> UnknownKeys { get; init; } = [];

    /// <summary>
    /// Reads and validates the <c>Weir</c> section, e.g. <c>configuration.GetSection("Weir")</c>.
    /// When a key is set both flat and nested with different values, this overload cannot tell
    /// which source overrides which and reports the conflict; prefer
    /// <see cref="Parse(IConfigurationRoot, string)"/> in a host, which can.
    /// </summary>
    /// <exception cref="WeirConfigurationException">One or more values are not allowed; the message lists them all.</exception>
    public static WeirOptions Parse(IConfiguration weirSection)
    {
        ArgumentNullException.ThrowIfNull(weirSection);
        // A root passed as the section holds the keys itself: its providers know them without a prefix.
        var displayPath = weirSection is IConfigurationSection section ? section.Path : SectionName;
        return Parse(SectionSettings.Read(weirSection, weirSection as IConfigurationRoot, providerPrefix: string.Empty, displayPath));
    }

    /// <summary>
    /// Reads and validates section <paramref name="sectionName"/> of a configuration root (a host's
    /// <c>builder.Configuration</c>). When a key is set both flat and nested, the spelling from the
    /// later configuration source wins, as any .NET override does: an environment variable
    /// <c>Weir__execution__checkpointing__interval</c> overrides appsettings.json's
    /// <c>"execution.checkpointing.interval"</c>.
    /// </summary>
    /// <exception cref="WeirConfigurationException">One or more values are not allowed; the message lists them all.</exception>
    public static WeirOptions Parse(IConfigurationRoot configuration, string sectionName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrEmpty(sectionName);
        return Parse(SectionSettings.Read(configuration.GetSection(sectionName), configuration, providerPrefix: sectionName, displayPath: sectionName));
    }

    /// <summary>
    /// A copy with some keys set to new values, validated as if they had been configured: for tests
    /// and for command options that override configuration. Keys use Flink names ('.' or ':'
    /// separators); an empty value clears an optional key and disables checkpointing for the interval.
    /// </summary>
    /// <exception cref="ArgumentException">A key is not one Weir reads.</exception>
    /// <exception cref="WeirConfigurationException">A value is not allowed.</exception>
    public WeirOptions With(params (string Key, string Value)[] overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        foreach (var (key, value) in overrides)
        {
            ArgumentNullException.ThrowIfNull(key);
            ArgumentNullException.ThrowIfNull(value);
            if (!AllKeys.Value.Contains(SectionSettings.Normalize(key)))
            {
                throw new ArgumentException($"'{key}' is not a key Weir reads.", nameof(overrides));
            }
        }

        var source = _source ?? Render();
        var settings = SectionSettings.FromOrderedPairs(SectionName, source.Concat(overrides.Select(o => new Setting(o.Key, o.Value))));
        return Parse(settings);
    }

    /// <summary>
    /// The effective settings under their Flink keys, with Flink-formatted values ("30s",
    /// "EXACTLY_ONCE"), in a fixed order: for the host to log once at start-up. Secrets show as
    /// '***', the query of an http(s) URL as '?***', unset optional keys as "(none)". Only the
    /// parameters of the effective restart strategy are listed.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Describe() =>
        Settings(effectiveOnly: true)
            .Select(s => new KeyValuePair<string, string>(s.Key, s.Value is null ? "(none)" : K.Display(s.Key, s.Value)))
            .ToList();

    private static WeirOptions Parse(SectionSettings settings)
    {
        var reader = new SettingReader(settings);
        var options = Read(reader);
        if (reader.Failures.Count > 0)
        {
            throw new WeirConfigurationException(reader.Failures);
        }

        options._source = settings.Values.Values.ToList();
        return options;
    }

    private static WeirOptions Read(SettingReader reader)
    {
        var checkpointing = CheckpointingOptions.Read(reader);
        return new WeirOptions
        {
            Checkpointing = checkpointing,
            State = StateOptions.Read(reader),
            Pipeline = PipelineOptions.Read(reader),
            RestartStrategy = RestartStrategyOptions.Read(reader, checkpointing.IsEnabled),
            StateRecovery = StateRecoveryOptions.Read(reader),
            AzureStorage = AzureStorageOptions.Read(reader),
            UnknownKeys = reader.UnknownKeys,
        };
    }

    private IEnumerable<KeyValuePair<string, string?>> Settings(bool effectiveOnly) =>
        Checkpointing.Settings()
            .Concat(State.Settings())
            .Concat(Pipeline.Settings())
            .Concat(RestartStrategy.Settings(effectiveOnly))
            .Concat(StateRecovery.Settings())
            .Concat(AzureStorage.Settings());

    /// <summary>This instance as settings that parse back to it, for <see cref="With"/> on options built in code.</summary>
    private List<Setting> Render() =>
        Settings(effectiveOnly: false)
            .Where(s => s.Value is not null)
            .Select(s => new Setting(s.Key, s.Value!))
            .ToList();
}
