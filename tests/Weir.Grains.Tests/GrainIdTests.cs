namespace Weir.Grains.Tests;

public sealed class GrainIdTests
{
    [Fact]
    public void Equal_ids_are_equal_and_hash_alike()
    {
        var a = new GrainId("counter", "x/y");
        var b = GrainId.Parse("counter/x/y");
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal("x/y", b.Key);
        Assert.NotEqual(a, new GrainId("counter", "x/Y"));
        Assert.NotEqual(a, new GrainId("other", "x/y"));
    }

    [Fact]
    public void Format_and_parse_round_trip()
    {
        var id = new GrainId("job", "wordcount/map/3");
        Assert.Equal("job/wordcount/map/3", id.ToString());
        Assert.Equal(id, GrainId.Parse(id.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("noslash")]
    [InlineData("/key")]
    public void Malformed_text_is_rejected_with_the_expected_form(string text)
    {
        Assert.False(GrainId.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => GrainId.Parse(text));
        Assert.Contains("'<type>/<key>'", error.Message);
    }

    [Fact]
    public void Uniform_hash_is_stable_across_processes()
    {
        // Fixed expected values: the hash must never depend on the process (placement relies on it).
        var id = new GrainId("counter", "a");
        Assert.Equal(id.GetUniformHashCode(), new GrainId("counter", "a").GetUniformHashCode());
        Assert.NotEqual(id.GetUniformHashCode(), new GrainId("counter", "b").GetUniformHashCode());
        Assert.Equal(2909656762u, id.GetUniformHashCode());
    }
}
