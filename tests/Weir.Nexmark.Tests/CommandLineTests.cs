using Weir.Benchmarks.Nexmark.Running;

namespace Weir.Nexmark.Tests;

/// <summary>The nexmark command's options: a path it could not write is refused before the runs, naming the option, and leaves nothing behind.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("weir-nexmark-cli-").FullName;

    [Theory]
    [InlineData("--json")]
    [InlineData("--output")]
    [InlineData("--dump-events")]
    public void A_file_path_under_a_file_is_refused_before_the_runs_naming_the_option(string option)
    {
        var file = Path.Combine(_directory, "not-a-directory");
        File.WriteAllText(file, "x");
        var error = new StringWriter();

        var settings = NexmarkSettings.Parse(["--query", "q1", "--events", "1000", "--parallelism", "1", option, Path.Combine(file, "out.json")], error);

        Assert.Null(settings);
        Assert.StartsWith($"{option}: cannot write a file at ", error.ToString());
        Assert.Contains("usage: nexmark", error.ToString());
    }

    [Fact]
    public void A_directory_given_as_the_json_file_is_refused()
    {
        var error = new StringWriter();

        var settings = NexmarkSettings.Parse(["--query", "q1", "--events", "1000", "--parallelism", "1", "--json", _directory], error);

        Assert.Null(settings);
        Assert.StartsWith("--json: ", error.ToString());
        Assert.Contains("is a directory", error.ToString());
    }

    [Fact]
    public void A_writable_path_is_accepted_its_directory_made_and_no_file_left_before_the_run()
    {
        var json = Path.Combine(_directory, "results", "q1.json");

        var settings = NexmarkSettings.Parse(["--query", "q1", "--events", "1000", "--parallelism", "1", "--json", json], TextWriter.Null);

        Assert.NotNull(settings);
        Assert.Equal(json, settings.JsonPath);
        Assert.True(Directory.Exists(Path.GetDirectoryName(json)));
        Assert.False(File.Exists(json));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
