using Weir.Checkpointing.Configuration;

namespace Weir.Checkpointing.Tests.Configuration;

public sealed class FlinkDurationTests
{
    public static TheoryData<string, long> EveryUnitLabel => new()
    {
        { "300ns", 3 },
        { "300nano", 3 },
        { "300nanos", 3 },
        { "300nanosecond", 3 },
        { "300nanoseconds", 3 },
        { "7us", 70 },
        { "7µs", 70 },
        { "7μs", 70 },
        { "7micro", 70 },
        { "7micros", 70 },
        { "7microsecond", 70 },
        { "7microseconds", 70 },
        { "250ms", 250 * TimeSpan.TicksPerMillisecond },
        { "250milli", 250 * TimeSpan.TicksPerMillisecond },
        { "250millis", 250 * TimeSpan.TicksPerMillisecond },
        { "250millisecond", 250 * TimeSpan.TicksPerMillisecond },
        { "250milliseconds", 250 * TimeSpan.TicksPerMillisecond },
        { "30s", 30 * TimeSpan.TicksPerSecond },
        { "30sec", 30 * TimeSpan.TicksPerSecond },
        { "30secs", 30 * TimeSpan.TicksPerSecond },
        { "30second", 30 * TimeSpan.TicksPerSecond },
        { "30seconds", 30 * TimeSpan.TicksPerSecond },
        { "10m", 10 * TimeSpan.TicksPerMinute },
        { "10min", 10 * TimeSpan.TicksPerMinute },
        { "10mins", 10 * TimeSpan.TicksPerMinute },
        { "10minute", 10 * TimeSpan.TicksPerMinute },
        { "10minutes", 10 * TimeSpan.TicksPerMinute },
        { "2h", 2 * TimeSpan.TicksPerHour },
        { "2hour", 2 * TimeSpan.TicksPerHour },
        { "2hours", 2 * TimeSpan.TicksPerHour },
        { "3d", 3 * TimeSpan.TicksPerDay },
        { "3day", 3 * TimeSpan.TicksPerDay },
        { "3days", 3 * TimeSpan.TicksPerDay },
    };

    [Theory]
    [MemberData(nameof(EveryUnitLabel))]
    public void Parses_every_unit_label(string text, long ticks) =>
        Assert.Equal(TimeSpan.FromTicks(ticks), FlinkDuration.Parse(text));

    [Theory]
    [InlineData("500", 500)]
    [InlineData("0", 0)]
    [InlineData(" 1500 ", 1500)]
    public void A_plain_number_is_milliseconds(string text, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), FlinkDuration.Parse(text));

    [Theory]
    [InlineData("10MIN")]
    [InlineData("10 Min")]
    [InlineData("10 minutes")]
    [InlineData("10\tMINUTES")]
    [InlineData("  10m  ")]
    public void Units_ignore_case_and_may_follow_whitespace(string text) =>
        Assert.Equal(TimeSpan.FromMinutes(10), FlinkDuration.Parse(text));

    [Theory]
    [InlineData("00:00:30", 0, 0, 30, 0)]
    [InlineData("01:30:00", 1, 30, 0, 0)]
    [InlineData("00:00:00.250", 0, 0, 0, 250)]
    [InlineData("1.02:03:04", 26, 3, 4, 0)]
    public void Accepts_the_dotnet_hh_mm_ss_form(string text, int hours, int minutes, int seconds, int milliseconds) =>
        Assert.Equal(new TimeSpan(0, hours, minutes, seconds, milliseconds), FlinkDuration.Parse(text));

    [Fact]
    public void Nanoseconds_below_a_tick_are_truncated() =>
        Assert.Equal(TimeSpan.FromTicks(1), FlinkDuration.Parse("199ns"));

    [Theory]
    [InlineData("soon", "'soon' is not a duration: expected a duration such as 500ms, 30s or 10min.")]
    [InlineData("", "'' is not a duration: expected a duration such as 500ms, 30s or 10min.")]
    [InlineData("   ", "'   ' is not a duration: expected a duration such as 500ms, 30s or 10min.")]
    [InlineData("-5s", "'-5s' is not a duration: expected a duration such as 500ms, 30s or 10min.")]
    [InlineData("1.5s", "'1.5s' is not a duration: expected a duration such as 500ms, 30s or 10min; use a whole number of a smaller unit instead of a fraction.")]
    [InlineData("5 fortnights", "'5 fortnights' is not a duration: expected a duration such as 500ms, 30s or 10min; 'fortnights' is not a unit (use ns, us, ms, s, min, h or d).")]
    [InlineData("10 m s", "'10 m s' is not a duration: expected a duration such as 500ms, 30s or 10min; 'm s' is not a unit (use ns, us, ms, s, min, h or d).")]
    [InlineData("-00:00:05", "'-00:00:05' is not a duration: expected a duration such as 500ms, 30s or 10min.")]
    [InlineData("25:99:00", "'25:99:00' is not a duration: expected a duration such as 500ms, 30s or 10min.")]
    [InlineData("99999999999d", "'99999999999d' is not a duration: expected a duration such as 500ms, 30s or 10min; it is longer than a TimeSpan can hold (about 29,000 years).")]
    [InlineData("999999999999999999999999999999ms", "'999999999999999999999999999999ms' is not a duration: expected a duration such as 500ms, 30s or 10min; it is longer than a TimeSpan can hold (about 29,000 years).")]
    public void Bad_input_is_rejected_with_a_message_saying_what_is_expected(string text, string message)
    {
        Assert.False(FlinkDuration.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => FlinkDuration.Parse(text));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void TryParse_of_null_is_false() => Assert.False(FlinkDuration.TryParse(null, out _));

    [Theory]
    [InlineData(0L, "0ms")]
    [InlineData(500 * TimeSpan.TicksPerMillisecond, "500ms")]
    [InlineData(1500 * TimeSpan.TicksPerMillisecond, "1500ms")]
    [InlineData(30 * TimeSpan.TicksPerSecond, "30s")]
    [InlineData(90 * TimeSpan.TicksPerSecond, "90s")]
    [InlineData(10 * TimeSpan.TicksPerMinute, "10min")]
    [InlineData(2 * TimeSpan.TicksPerHour, "2h")]
    [InlineData(36 * TimeSpan.TicksPerHour, "36h")]
    [InlineData(TimeSpan.TicksPerDay, "1d")]
    [InlineData(70L, "7µs")]
    [InlineData(3L, "300ns")]
    [InlineData(-5 * TimeSpan.TicksPerSecond, "-5s")]
    public void Formats_in_the_largest_exact_unit(long ticks, string expected) =>
        Assert.Equal(expected, FlinkDuration.Format(TimeSpan.FromTicks(ticks)));

    [Theory]
    [InlineData(1L)]
    [InlineData(123_456_789L)]
    [InlineData(36_000_000_000L)]
    [InlineData(long.MaxValue)]
    public void Format_parses_back_to_the_same_duration(long ticks)
    {
        var duration = TimeSpan.FromTicks(ticks);
        Assert.Equal(duration, FlinkDuration.Parse(FlinkDuration.Format(duration)));
    }

    [Fact]
    public void Formats_the_smallest_timespan_without_overflow() =>
        Assert.Equal("-922337203685477580800ns", FlinkDuration.Format(TimeSpan.MinValue));
}
