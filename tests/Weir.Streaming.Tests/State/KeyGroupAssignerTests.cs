using Weir.Streaming.State;

namespace Weir.Streaming.Tests.State;

public sealed class KeyGroupAssignerTests
{
    public enum Color
    {
        Red = 1,
        Green = 2,
    }

    public enum Huge : ulong
    {
        Top = ulong.MaxValue,
    }

    public sealed record Customer(string Region, int Id);

    /// <summary>Key groups computed once: state on disk is stored by key group, so these must never change.</summary>
    [Fact]
    public void Key_groups_of_sample_keys_never_change()
    {
        Assert.Equal(0, KeyGroupAssigner.KeyGroupFor(0, 128));
        Assert.Equal(92, KeyGroupAssigner.KeyGroupFor(42, 128));
        Assert.Equal(57, KeyGroupAssigner.KeyGroupFor(-1, 128));
        Assert.Equal(92, KeyGroupAssigner.KeyGroupFor(42L, 128));
        Assert.Equal(95, KeyGroupAssigner.KeyGroupFor(1L << 40, 128));
        Assert.Equal(11, KeyGroupAssigner.KeyGroupFor(string.Empty, 128));
        Assert.Equal(110, KeyGroupAssigner.KeyGroupFor("hello", 128));
        Assert.Equal(30318, KeyGroupAssigner.KeyGroupFor("hello", 32768));
        Assert.Equal(19, KeyGroupAssigner.KeyGroupFor("wörd 🌊", 128));
        Assert.Equal(50, KeyGroupAssigner.KeyGroupFor(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), 128));
        Assert.Equal(55, KeyGroupAssigner.KeyGroupFor(true, 128));
        Assert.Equal(6, KeyGroupAssigner.KeyGroupFor(Color.Green, 128));
        Assert.Equal(117, KeyGroupAssigner.KeyGroupFor(("eu", 7), 128));
        Assert.Equal(22, KeyGroupAssigner.KeyGroupFor(new Customer("eu", 7), 128));
    }

    [Fact]
    public void Equal_keys_get_the_same_key_group_whatever_instance_holds_them()
    {
        var random = new Random(11);
        for (var i = 0; i < 2_000; i++)
        {
            var text = new string(Enumerable.Range(0, random.Next(0, 12)).Select(_ => (char)random.Next(32, 0x3000)).ToArray());
            var copy = new string(text.AsSpan());
            var number = random.Next(int.MinValue, int.MaxValue);
            var region = random.Next(5).ToString(System.Globalization.CultureInfo.InvariantCulture);

            Assert.Equal(KeyGroupAssigner.KeyGroupFor(text, 128), KeyGroupAssigner.KeyGroupFor(copy, 128));
            Assert.Equal(KeyGroupAssigner.KeyGroupFor(number, 128), KeyGroupAssigner.KeyGroupFor(number, 128));
            Assert.Equal(KeyGroupAssigner.KeyGroupFor((copy, number), 128), KeyGroupAssigner.KeyGroupFor((text, number), 128));
            Assert.Equal(KeyGroupAssigner.KeyGroupFor(new Customer(region, number), 128), KeyGroupAssigner.KeyGroupFor(new Customer(new string(region.AsSpan()), number), 128));
        }
    }

    [Fact]
    public void Key_groups_are_within_max_parallelism_and_every_group_gets_keys()
    {
        foreach (var maxParallelism in new[] { 1, 7, 128, 32768 })
        {
            var seen = new HashSet<int>();
            for (var key = 0; key < maxParallelism * 12; key++)
            {
                var group = KeyGroupAssigner.KeyGroupFor($"user-{key}", maxParallelism);
                Assert.InRange(group, 0, maxParallelism - 1);
                seen.Add(group);
            }

            Assert.True(seen.Count == maxParallelism, $"M={maxParallelism}: only {seen.Count} key groups got keys");
        }
    }

    [Fact]
    public void Every_enum_value_has_a_key_group_including_unsigned_ones_above_the_signed_range()
    {
        Assert.InRange(KeyGroupAssigner.KeyGroupFor(Huge.Top, 128), 0, 127);
        Assert.InRange(KeyGroupAssigner.KeyGroupFor((Color)(-5), 128), 0, 127);
    }
}
