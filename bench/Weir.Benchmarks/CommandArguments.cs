using System.Globalization;

namespace Weir.Benchmarks;

/// <summary>
/// A subcommand's arguments: <c>--name value</c> options and bare <c>--flag</c>s, each one the
/// command declares (the last of a repeated option wins). Reading a value checks it; every
/// problem is a <see cref="FormatException"/> that names the option and the value.
/// </summary>
internal sealed class CommandArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CommandArguments()
    {
    }

    /// <summary>Reads <paramref name="args"/>: <paramref name="options"/> take a value, <paramref name="flags"/> none.</summary>
    public static CommandArguments Parse(string[] args, IReadOnlyCollection<string> options, IReadOnlyCollection<string>? flags = null)
    {
        var arguments = new CommandArguments();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (flags?.Contains(name) == true)
            {
                arguments._flags.Add(name);
            }
            else if (!options.Contains(name))
            {
                throw new FormatException($"Unknown option '{name}'.");
            }
            else if (i + 1 == args.Length || string.IsNullOrWhiteSpace(args[i + 1]) || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                throw new FormatException($"{name} has no value.");
            }
            else
            {
                arguments._values[name] = args[++i];
            }
        }

        return arguments;
    }

    public bool Has(string flag) => _flags.Contains(flag);

    public bool IsSet(string option) => _values.ContainsKey(option);

    public string? Text(string option) => _values.GetValueOrDefault(option);

    /// <summary>A whole number, within [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public int Integer(string option, int defaultValue, int minimum, int maximum = int.MaxValue) =>
        (int)Whole(option, defaultValue, minimum, maximum);

    /// <summary>A whole number (signed), within [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public long Whole(string option, long defaultValue, long minimum = long.MinValue, long maximum = long.MaxValue)
    {
        if (!_values.TryGetValue(option, out var text))
        {
            return defaultValue;
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? InRange(option, text, value, minimum, maximum)
            : throw new FormatException($"{option}: '{text}' is not a whole number within [{minimum}, {maximum}].");
    }

    /// <summary>A number above <paramref name="exclusiveMinimum"/> and at most <paramref name="maximum"/>.</summary>
    public double Number(string option, double defaultValue, double exclusiveMinimum, double maximum)
    {
        if (!_values.TryGetValue(option, out var text))
        {
            return defaultValue;
        }

        return !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? throw NotANumber(option, text)
            : value > exclusiveMinimum && value <= maximum ? value
            : throw new FormatException($"{option}: {text} is outside ({exclusiveMinimum}, {maximum}].");
    }

    /// <summary>A count with an optional K, M or G suffix (decimal: 1K = 1000) and '_' separators, within [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public long Count(string option, long defaultValue, long minimum, long maximum = long.MaxValue)
    {
        if (!_values.TryGetValue(option, out var text))
        {
            return defaultValue;
        }

        var multiplier = char.ToUpperInvariant(text[^1]) switch
        {
            'K' => 1_000L,
            'M' => 1_000_000L,
            'G' => 1_000_000_000L,
            _ => 1L,
        };
        var digits = multiplier == 1 ? text : text[..^1];
        if (!double.TryParse(digits.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
        {
            throw NotANumber(option, text);
        }

        var count = number * multiplier;
        return count >= minimum && count <= maximum ? (long)count : throw OutOfRange(option, text, minimum, maximum);
    }

    private static T InRange<T>(string option, string text, T value, T minimum, T maximum)
        where T : IComparable<T> =>
        value.CompareTo(minimum) >= 0 && value.CompareTo(maximum) <= 0 ? value : throw OutOfRange(option, text, minimum, maximum);

    private static FormatException OutOfRange<T>(string option, string text, T minimum, T maximum) => new($"{option}: {text} is outside [{minimum}, {maximum}].");

    private static FormatException NotANumber(string option, string text) => new($"{option}: '{text}' is not a number.");
}
