using System.Text;
using Microsoft.Extensions.Configuration;
using Weir.Checkpointing.Configuration;

namespace Weir.Checkpointing.Tests.Configuration;

public sealed class ConfigurationKeyTests
{
    [Fact]
    public void Nested_keys_read_the_same_as_flat_keys()
    {
        var flat = Settings.Parse(
            ("execution.checkpointing.interval", "5s"),
            ("restart-strategy.fixed-delay.attempts", "3"),
            ("execution.checkpointing.unaligned.enabled", "true"));
        var nested = Settings.Parse(
            ("execution:checkpointing:interval", "5s"),
            ("restart-strategy:fixed-delay:attempts", "3"),
            ("execution:checkpointing:unaligned:enabled", "true"));

        Assert.Equal(TimeSpan.FromSeconds(5), nested.Checkpointing.Interval);
        Assert.Equal(3, nested.RestartStrategy.FixedDelayAttempts);
        Assert.True(nested.Checkpointing.UnalignedEnabled);
        Assert.Equal(flat.Describe(), nested.Describe());
    }

    [Fact]
    public void Keys_ignore_case_as_dotnet_configuration_does() =>
        Assert.Equal(
            TimeSpan.FromSeconds(5),
            Settings.Parse(("Execution.Checkpointing.Interval", "5s")).Checkpointing.Interval);

    [Fact]
    public void A_key_from_a_nested_json_object_is_read()
    {
        const string json = """{ "Weir": { "execution": { "checkpointing": { "interval": "2s", "num-retained": 3 } } } }""";

        var options = WeirOptions.Parse(Json(json), "Weir");

        Assert.Equal(TimeSpan.FromSeconds(2), options.Checkpointing.Interval);
        Assert.Equal(3, options.Checkpointing.NumRetained);
    }

    [Fact]
    public void A_flat_key_from_the_command_line_is_read()
    {
        var root = new ConfigurationBuilder()
            .AddCommandLine(["--Weir:execution.checkpointing.interval=1s", "--Weir:restart-strategy.type=fixed-delay"])
            .Build();

        var options = WeirOptions.Parse(root.GetSection("Weir"));

        Assert.Equal(TimeSpan.FromSeconds(1), options.Checkpointing.Interval);
        Assert.Equal(RestartStrategyType.FixedDelay, options.RestartStrategy.Type);
    }

    [Fact]
    public void A_nested_environment_variable_overrides_a_flat_appsettings_key()
    {
        var prefix = $"WEIR_TEST_{Guid.NewGuid():N}_";
        Environment.SetEnvironmentVariable(prefix + "Weir__execution__checkpointing__interval", "5s");
        try
        {
            var root = new ConfigurationBuilder()
                .AddJsonStream(Utf8("""{ "Weir": { "execution.checkpointing.interval": "1s" } }"""))
                .AddEnvironmentVariables(prefix)
                .Build();

            Assert.Equal(TimeSpan.FromSeconds(5), WeirOptions.Parse(root, "Weir").Checkpointing.Interval);
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "Weir__execution__checkpointing__interval", null);
        }
    }

    [Fact]
    public void A_flat_key_from_a_later_source_overrides_a_nested_one()
    {
        var root = new ConfigurationBuilder()
            .AddInMemoryCollection([new("Weir:execution:checkpointing:interval", "5s")])
            .AddCommandLine(["--Weir:execution.checkpointing.interval=1s"])
            .Build();

        Assert.Equal(TimeSpan.FromSeconds(1), WeirOptions.Parse(root, "Weir").Checkpointing.Interval);
    }

    [Fact]
    public void A_root_passed_as_the_section_decides_precedence_by_its_sources_too()
    {
        var root = new ConfigurationBuilder()
            .AddInMemoryCollection([new("execution.checkpointing.interval", "1s")])
            .AddInMemoryCollection([new("execution:checkpointing:interval", "5s")])
            .Build();

        Assert.Equal(TimeSpan.FromSeconds(5), WeirOptions.Parse(root).Checkpointing.Interval);
    }

    [Fact]
    public void Both_spellings_with_the_same_value_are_not_a_conflict() =>
        Assert.Equal(
            TimeSpan.FromSeconds(5),
            Settings.Parse(("execution.checkpointing.interval", "5s"), ("execution:checkpointing:interval", "5s")).Checkpointing.Interval);

    [Fact]
    public void Both_spellings_with_different_values_in_a_bare_section_are_reported()
    {
        var error = Settings.Invalid(("execution:checkpointing:interval", "5s"), ("execution.checkpointing.interval", "1s"));

        Assert.Equal(
            ["Weir:execution.checkpointing.interval = '1s' is not valid: the same key is also set as Weir:execution:checkpointing:interval = '5s' and which one takes precedence cannot be told; set it once."],
            error.Failures);
    }

    [Fact]
    public void Both_spellings_with_different_values_in_one_source_are_reported()
    {
        var root = Settings.Root(("execution.checkpointing.interval", "1s"), ("execution:checkpointing:interval", "5s"));

        var error = Assert.Throws<WeirConfigurationException>(() => WeirOptions.Parse(root, "Weir"));

        Assert.Equal(
            ["Weir:execution.checkpointing.interval = '1s' is not valid: the same key is also set as Weir:execution:checkpointing:interval = '5s' in the same configuration source; set it once."],
            error.Failures);
    }

    [Fact]
    public void A_conflict_over_a_secret_does_not_show_it()
    {
        var error = Settings.Invalid(
            ("azure.storage.connection-string", "AccountName=a;AccountKey=Zmlyc3Q="),
            ("azure:storage:connection-string", "AccountName=a;AccountKey=c2Vjb25k"));

        var failure = Assert.Single(error.Failures);
        Assert.Equal(
            "Weir:azure.storage.connection-string = '***' is not valid: the same key is also set as Weir:azure:storage:connection-string = '***' and which one takes precedence cannot be told; set it once.",
            failure);
        Assert.DoesNotContain("AccountKey", error.Message);
    }

    [Fact]
    public void Unknown_keys_are_not_errors_but_are_listed_with_dots_sorted()
    {
        var options = Settings.Parse(
            ("execution.checkpointing.interval", "1s"),
            ("state.checkpoints.dir", "/old/flink/key"),
            ("restart-strategy", "fixed-delay"),
            ("execution:checkpointing:unaligned", "true"));

        Assert.Equal(["execution.checkpointing.unaligned", "restart-strategy", "state.checkpoints.dir"], options.UnknownKeys);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Checkpointing.Interval);
    }

    [Fact]
    public void The_section_path_prefixes_keys_in_messages()
    {
        var root = new ConfigurationBuilder()
            .AddInMemoryCollection([new("Jobs:Weir:execution.checkpointing.mode", "NEVER")])
            .Build();

        var error = Assert.Throws<WeirConfigurationException>(() => WeirOptions.Parse(root.GetSection("Jobs:Weir")));

        Assert.Equal(["Jobs:Weir:execution.checkpointing.mode = 'NEVER' is not valid: expected one of EXACTLY_ONCE, AT_LEAST_ONCE."], error.Failures);
    }

    private static IConfigurationRoot Json(string json) => new ConfigurationBuilder().AddJsonStream(Utf8(json)).Build();

    private static MemoryStream Utf8(string text) => new(Encoding.UTF8.GetBytes(text));
}
