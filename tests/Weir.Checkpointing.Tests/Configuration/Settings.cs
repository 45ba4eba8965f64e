using Microsoft.Extensions.Configuration;
using Weir.Checkpointing.Configuration;

namespace Weir.Checkpointing.Tests.Configuration;

/// <summary>Builds Weir's configuration section from key/value pairs the way a host would.</summary>
internal static class Settings
{
    /// <summary>Parses "Weir:"-prefixed settings from one in-memory source.</summary>
    public static WeirOptions Parse(params (string Key, string Value)[] settings) =>
        WeirOptions.Parse(Section(settings));

    /// <summary>The failures parsing the settings reports; fails the test if parsing succeeds.</summary>
    public static WeirConfigurationException Invalid(params (string Key, string Value)[] settings) =>
        Assert.Throws<WeirConfigurationException>(() => Parse(settings));

    public static IConfigurationSection Section(params (string Key, string Value)[] settings) =>
        Root(settings).GetSection(WeirOptions.SectionName);

    public static IConfigurationRoot Root(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>($"{WeirOptions.SectionName}:{s.Key}", s.Value)))
            .Build();
}
