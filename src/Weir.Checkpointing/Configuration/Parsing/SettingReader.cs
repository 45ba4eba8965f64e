using System.Globalization;

namespace Weir.Checkpointing.Configuration.Parsing;

/// <summary>
/// Reads typed values from <see cref="SectionSettings"/>, falling back to defaults for absent keys
/// and collecting one failure per bad value instead of stopping at the first, so start-up reports
/// every mistake at once. Every failure reads
/// <c>Weir:&lt;key&gt; = '&lt;value&gt;' is not valid: &lt;what is allowed&gt;.</c>
/// and never shows a secret. The keys read are remembered: what is left over is unknown.
/// </summary>
/// <remarks>
/// An empty value is not the absence of a key: it fails like any other value that is not
/// allowed, except where a key's reader says otherwise (an optional text, the checkpoint interval).
/// </remarks>
internal sealed class SettingReader(SectionSettings settings)
{
    private readonly List<string> _failures = [.. settings.Conflicts];
    private readonly HashSet<string> _known = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<string> Failures => _failures;

    /// <summary>Every key a reader method was asked for.</summary>
    public IReadOnlyCollection<string> KnownKeys => _known;

    /// <summary>The settings that are not Weir keys, by Flink key name.</summary>
    public IReadOnlyList<string> UnknownKeys =>
        settings.Values.Keys.Where(key => !_known.Contains(key)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Whether the key has a value (possibly empty) in the section.</summary>
    public bool IsSet(string key) => settings.Values.ContainsKey(key);

    /// <summary>The key's raw value, or null when absent.</summary>
    public string? Raw(string key)
    {
        _known.Add(key);
        return settings.Values.TryGetValue(key, out var setting) ? setting.Value : null;
    }

    /// <summary>Records a failure for the key's current value.</summary>
    public void Fail(string key, string allowed)
    {
        var value = settings.Values.TryGetValue(key, out var setting) ? setting.Value : string.Empty;
        _failures.Add($"{settings.SectionPath}:{key} = '{ConfigurationKeys.Display(key, value)}' is not valid: {allowed}.");
    }

    /// <summary>A trimmed text; null when the key is absent or its value empty.</summary>
    public string? OptionalText(string key)
    {
        var raw = Raw(key)?.Trim();
        return string.IsNullOrEmpty(raw) ? null : raw;
    }

    /// <summary>A duration of at least <paramref name="minimum"/> (exclusive when <paramref name="exclusive"/>).</summary>
    public TimeSpan Duration(string key, TimeSpan defaultValue, TimeSpan minimum, bool exclusive = false)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!FlinkDuration.TryParse(raw, out var value, out var problem))
        {
            Fail(key, problem);
            return defaultValue;
        }

        if (value < minimum || (exclusive && value == minimum))
        {
            Fail(key, DurationRange(minimum, exclusive));
            return defaultValue;
        }

        return value;
    }

    /// <summary>The allowed-values text for a duration bound.</summary>
    public static string DurationRange(TimeSpan minimum, bool exclusive) => (minimum, exclusive) switch
    {
        ({ Ticks: 0 }, true) => "expected a duration greater than 0",
        (_, true) => $"expected a duration greater than {FlinkDuration.Format(minimum)}",
        (_, false) => $"expected a duration of at least {FlinkDuration.Format(minimum)}",
    };

    /// <summary>A whole number in [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public int Integer(string key, int defaultValue, int minimum, int maximum = int.MaxValue)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!int.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            || value < minimum || value > maximum)
        {
            Fail(key, maximum == int.MaxValue
                ? $"expected an integer of at least {minimum}"
                : $"expected an integer from {minimum} to {maximum}");
            return defaultValue;
        }

        return value;
    }

    /// <summary>A finite number in [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public double Number(string key, double defaultValue, double minimum, double maximum = double.MaxValue)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!double.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value) || value < minimum || value > maximum)
        {
            Fail(key, maximum == double.MaxValue
                ? string.Create(CultureInfo.InvariantCulture, $"expected a number of at least {minimum}")
                : string.Create(CultureInfo.InvariantCulture, $"expected a number from {minimum} to {maximum}"));
            return defaultValue;
        }

        return value;
    }

    /// <summary>true or false, in any case.</summary>
    public bool Boolean(string key, bool defaultValue)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!bool.TryParse(raw.Trim(), out var value))
        {
            Fail(key, "expected true or false");
            return defaultValue;
        }

        return value;
    }

    /// <summary>One of the names of <paramref name="choice"/>, in any case.</summary>
    public T Choice<T>(string key, T defaultValue, FlinkChoice<T> choice)
        where T : struct, Enum
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!choice.TryParse(raw, out var value))
        {
            Fail(key, choice.Allowed);
            return defaultValue;
        }

        return value;
    }

    /// <summary>
    /// A place to keep checkpoints: a directory path, a file:// URI or an http(s) URL (Azure
    /// Blob Storage). An absent key gives <paramref name="defaultValue"/>; an empty value gives
    /// null when <paramref name="optional"/>, else fails.
    /// </summary>
    public string? Location(string key, string? defaultValue, string allowed, bool optional)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        var trimmed = raw.Trim();
        if (trimmed.Length == 0 && optional)
        {
            return null;
        }

        if (!IsLocation(trimmed))
        {
            Fail(key, allowed);
            return defaultValue;
        }

        return trimmed;
    }

    private static bool IsLocation(string text)
    {
        if (text.Length == 0 || text.Any(char.IsControl) || text.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            return false;
        }

        if (!text.Contains("://", StringComparison.Ordinal))
        {
            return true;
        }

        return Uri.TryCreate(text, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeFile
                || ((uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0));
    }
}
