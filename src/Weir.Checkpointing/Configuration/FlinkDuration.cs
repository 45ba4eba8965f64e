using System.Globalization;

namespace Weir.Checkpointing.Configuration;

/// <summary>
/// Durations written the way Flink's configuration writes them: a whole number with an optional
/// unit ("500ms", "30 s", "10min"; a plain number is milliseconds), or .NET's "hh:mm:ss" form
/// ("00:00:30", "1.02:00:00"). Units are case-insensitive: ns, us/µs, ms, s, m/min, h, d, and
/// their long forms (nano, micro, milli, sec, minute, hour, day, singular or plural).
/// </summary>
/// <remarks>
/// A <see cref="TimeSpan"/> counts 100 ns ticks, so nanoseconds below that resolution are
/// truncated. Negative durations are not accepted.
/// </remarks>
public static class FlinkDuration
{
    /// <summary>What a duration looks like; ends every configuration error about one.</summary>
    internal const string Expected = "expected a duration such as 500ms, 30s or 10min";

    private const string TooLong = Expected + "; it is longer than a TimeSpan can hold (about 29,000 years)";

    private static readonly (long Ticks, string[] Labels)[] Units =
    [
        (TimeSpan.TicksPerDay, ["d", "day", "days"]),
        (TimeSpan.TicksPerHour, ["h", "hour", "hours"]),
        (TimeSpan.TicksPerMinute, ["min", "m", "mins", "minute", "minutes"]),
        (TimeSpan.TicksPerSecond, ["s", "sec", "secs", "second", "seconds"]),
        (TimeSpan.TicksPerMillisecond, ["ms", "milli", "millis", "millisecond", "milliseconds"]),
        // Ignoring case also matches "μs" with a Greek mu: it upper-cases like the micro sign.
        (TimeSpan.TicksPerMicrosecond, ["µs", "us", "micro", "micros", "microsecond", "microseconds"]),
        (0, ["ns", "nano", "nanos", "nanosecond", "nanoseconds"]),
    ];

    private static readonly Dictionary<string, long> TicksPerUnit = Units
        .SelectMany(u => u.Labels.Select(label => (label, u.Ticks)))
        .ToDictionary(x => x.label, x => x.Ticks, StringComparer.OrdinalIgnoreCase);

    /// <summary>Parses a duration; throws <see cref="FormatException"/> naming the text and what is expected.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The text is not a duration, or it does not fit in a <see cref="TimeSpan"/>.</exception>
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var duration, out var problem)
            ? duration
            : throw new FormatException($"'{text}' is not a duration: {problem}.");
    }

    /// <summary>Parses a duration; false if the text is null or not a duration.</summary>
    public static bool TryParse(string? text, out TimeSpan duration) => TryParse(text, out duration, out _);

    /// <summary>
    /// Formats a duration in the largest unit that represents it exactly, the shortest form Flink
    /// reads back: "500ms", "30s", "10min", "2h", "1d", "0ms".
    /// </summary>
    public static string Format(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            // Negate in 128 bits: TimeSpan.MinValue has no positive counterpart.
            return "-" + FormatTicks(-(Int128)duration.Ticks);
        }

        return FormatTicks(duration.Ticks);
    }

    /// <summary>Parses, and on failure says what is wrong with the text (without repeating it).</summary>
    internal static bool TryParse(string? text, out TimeSpan duration, out string problem)
    {
        duration = default;
        var trimmed = text?.Trim() ?? string.Empty;
        if (trimmed.Length == 0)
        {
            problem = Expected;
            return false;
        }

        if (trimmed.Contains(':'))
        {
            // .NET's [d.]hh:mm[:ss[.fffffff]]; only with a ':' because TimeSpan reads a bare "5" as five days.
            if (TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero)
            {
                problem = string.Empty;
                return true;
            }

            problem = Expected;
            return false;
        }

        var digits = 0;
        while (digits < trimmed.Length && char.IsAsciiDigit(trimmed[digits]))
        {
            digits++;
        }

        if (digits == 0)
        {
            problem = Expected;
            return false;
        }

        var unit = trimmed[digits..].TrimStart();
        if (unit.Length > 1 && unit[0] is '.' or ',' && char.IsAsciiDigit(unit[1]))
        {
            problem = $"{Expected}; use a whole number of a smaller unit instead of a fraction";
            return false;
        }

        long ticksPerUnit = TimeSpan.TicksPerMillisecond;
        if (unit.Length > 0 && !TicksPerUnit.TryGetValue(unit, out ticksPerUnit))
        {
            problem = $"{Expected}; '{unit}' is not a unit (use ns, us, ms, s, min, h or d)";
            return false;
        }

        if (!Int128.TryParse(trimmed.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            problem = TooLong;
            return false;
        }

        // ticksPerUnit == 0 marks nanoseconds: a tick is 100 ns, finer values are truncated.
        // Beyond a long's range the value is too long anyway; within it, 128 bits cannot overflow.
        var ticks = ticksPerUnit == 0 ? value / 100 : value > long.MaxValue ? value : value * ticksPerUnit;
        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            problem = TooLong;
            return false;
        }

        duration = TimeSpan.FromTicks((long)ticks);
        problem = string.Empty;
        return true;
    }

    private static string FormatTicks(Int128 ticks)
    {
        if (ticks == 0)
        {
            return "0ms";
        }

        foreach (var (unitTicks, labels) in Units)
        {
            if (unitTicks != 0 && ticks % unitTicks == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{ticks / unitTicks}{labels[0]}");
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"{ticks * 100}ns");
    }
}
