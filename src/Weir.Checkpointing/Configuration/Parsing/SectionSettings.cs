using Microsoft.Extensions.Configuration;

namespace Weir.Checkpointing.Configuration.Parsing;

/// <summary>One setting as it arrived: the key as spelled in the source, and its value.</summary>
internal readonly record struct Setting(string SourceKey, string Value);

/// <summary>
/// The settings of Weir's configuration section keyed by Flink key name, whichever spelling they
/// arrived in. JSON files and the command line usually give Flink's flat keys
/// (<c>Weir:execution.checkpointing.interval</c>); environment variables can only give nested
/// ones (<c>Weir__execution__checkpointing__interval</c>, read as
/// <c>Weir:execution:checkpointing:interval</c>). Replacing ':' by '.' in the relative key makes
/// them one key.
/// </summary>
/// <remarks>
/// When both spellings are present with different values, the merged configuration view cannot
/// say which wins (they are different .NET keys). With the configuration root at hand, the
/// spelling from the later provider wins, as any .NET override does. Without it, or when one
/// provider holds both, the conflict is reported as a failure rather than guessed.
/// </remarks>
internal sealed class SectionSettings
{
    private SectionSettings(string sectionPath, Dictionary<string, Setting> values, List<string> conflicts)
    {
        SectionPath = sectionPath;
        Values = values;
        Conflicts = conflicts;
    }

    /// <summary>The section's path, prefixed to keys in messages ("Weir").</summary>
    public string SectionPath { get; }

    /// <summary>Flink key (case-insensitive) to setting.</summary>
    public IReadOnlyDictionary<string, Setting> Values { get; }

    /// <summary>Failure messages for keys given twice with different values.</summary>
    public IReadOnlyList<string> Conflicts { get; }

    /// <summary>
    /// Reads a section. <paramref name="root"/>, when given, decides between spellings by provider
    /// order; its providers hold the section's keys under <paramref name="providerPrefix"/>.
    /// </summary>
    public static SectionSettings Read(IConfiguration section, IConfigurationRoot? root, string providerPrefix, string displayPath)
    {
        var pairs = section.AsEnumerable(makePathsRelative: true)
            .Where(pair => pair.Key.Length > 0 && pair.Value is not null)
            .Select(pair => new Setting(pair.Key, pair.Value!));
        return Build(displayPath, pairs, setting => ProviderRank(root, providerPrefix, setting.SourceKey));
    }

    /// <summary>Settings given in code, in order: a later one overrides an earlier one with the same key.</summary>
    public static SectionSettings FromOrderedPairs(string sectionPath, IEnumerable<Setting> pairs)
    {
        var latest = new Dictionary<string, Setting>(StringComparer.OrdinalIgnoreCase);
        foreach (var setting in pairs)
        {
            latest[Normalize(setting.SourceKey)] = setting;
        }

        return new SectionSettings(sectionPath, latest, []);
    }

    /// <summary>The Flink key of a relative configuration key.</summary>
    public static string Normalize(string relativeKey) => relativeKey.Replace(':', '.');

    private static SectionSettings Build(string sectionPath, IEnumerable<Setting> pairs, Func<Setting, int?> rank)
    {
        var values = new Dictionary<string, Setting>(StringComparer.OrdinalIgnoreCase);
        var conflicts = new List<string>();
        foreach (var group in pairs.GroupBy(s => Normalize(s.SourceKey), StringComparer.OrdinalIgnoreCase).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var spellings = group.OrderBy(s => s.SourceKey, StringComparer.Ordinal).ToList();
            if (spellings.Count == 1 || spellings.All(s => s.Value == spellings[0].Value))
            {
                values[group.Key] = spellings[0];
                continue;
            }

            var ranked = spellings.Select(s => (Setting: s, Rank: rank(s))).OrderByDescending(x => x.Rank ?? -1).ToList();
            if (ranked[0].Rank is { } best && ranked[1].Rank != best)
            {
                values[group.Key] = ranked[0].Setting;
                continue;
            }

            var first = spellings[0];
            var others = string.Join(" and ", spellings.Skip(1).Select(s => $"{sectionPath}:{s.SourceKey} = '{ConfigurationKeys.Display(group.Key, s.Value)}'"));
            var where = ranked[0].Rank is null ? "and which one takes precedence cannot be told" : "in the same configuration source";
            conflicts.Add(
                $"{sectionPath}:{first.SourceKey} = '{ConfigurationKeys.Display(group.Key, first.Value)}' is not valid: " +
                $"the same key is also set as {others} {where}; set it once.");
        }

        return new SectionSettings(sectionPath, values, conflicts);
    }

    /// <summary>Index of the last provider that holds the key: later providers override earlier ones.</summary>
    private static int? ProviderRank(IConfigurationRoot? root, string providerPrefix, string relativeKey)
    {
        if (root is null)
        {
            return null;
        }

        var fullKey = providerPrefix.Length == 0 ? relativeKey : ConfigurationPath.Combine(providerPrefix, relativeKey);
        var providers = root.Providers.ToList();
        for (var i = providers.Count - 1; i >= 0; i--)
        {
            if (providers[i].TryGet(fullKey, out var value) && value is not null)
            {
                return i;
            }
        }

        return null;
    }
}
