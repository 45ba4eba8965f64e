using System.Globalization;

namespace Weir.Checkpointing.Configuration.Parsing;

/// <summary>Values written the way Flink writes them, culture-independent, so they parse back.</summary>
internal static class SettingFormat
{
    public static string Of(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Of(bool value) => value ? "true" : "false";

    public static string Of(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Of(TimeSpan value) => FlinkDuration.Format(value);
}
