using Weir.Checkpointing.Metadata;

namespace Weir.Checkpointing.Tests.Metadata;

public sealed class KeyGroupRangeTests
{
    [Fact]
    public void For_every_parallelism_up_to_max_the_subtask_ranges_cover_all_key_groups_exactly_once()
    {
        foreach (var maxParallelism in Enumerable.Range(1, 300).Concat([1000, 4096]))
        {
            for (var parallelism = 1; parallelism <= maxParallelism; parallelism++)
            {
                AssertPartition(maxParallelism, parallelism);
            }
        }
    }

    [Fact]
    public void At_the_largest_max_parallelism_the_subtask_ranges_cover_all_key_groups_exactly_once()
    {
        const int maxParallelism = 32768;
        var random = new Random(7);
        foreach (var parallelism in new[] { 1, 2, 3, 127, 128, 1000, 32767, 32768 }.Concat(Enumerable.Range(0, 40).Select(_ => random.Next(1, maxParallelism + 1))))
        {
            AssertPartition(maxParallelism, parallelism);
        }
    }

    [Fact]
    public void SubtaskFor_is_the_inverse_of_ForSubtask()
    {
        foreach (var maxParallelism in Enumerable.Range(1, 160).Concat([1000]))
        {
            for (var parallelism = 1; parallelism <= maxParallelism; parallelism++)
            {
                for (var subtask = 0; subtask < parallelism; subtask++)
                {
                    var range = KeyGroupRange.ForSubtask(maxParallelism, parallelism, subtask);
                    for (var keyGroup = range.Start; keyGroup < range.End; keyGroup++)
                    {
                        if (KeyGroupRange.SubtaskFor(keyGroup, maxParallelism, parallelism) != subtask)
                        {
                            Assert.Fail($"M={maxParallelism}, p={parallelism}: key group {keyGroup} is in subtask {subtask}'s range {range}, but SubtaskFor says {KeyGroupRange.SubtaskFor(keyGroup, maxParallelism, parallelism)}");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Ranges_follow_the_ceiling_formula()
    {
        Assert.Equal(new KeyGroupRange(0, 43), KeyGroupRange.ForSubtask(128, 3, 0));
        Assert.Equal(new KeyGroupRange(43, 86), KeyGroupRange.ForSubtask(128, 3, 1));
        Assert.Equal(new KeyGroupRange(86, 128), KeyGroupRange.ForSubtask(128, 3, 2));
    }

    [Fact]
    public void Parallelism_and_subtask_outside_their_bounds_are_rejected()
    {
        var above = Assert.Throws<ArgumentOutOfRangeException>(() => KeyGroupRange.ForSubtask(128, 129, 0));
        Assert.Contains("between 1 and the max parallelism 128", above.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyGroupRange.ForSubtask(128, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyGroupRange.ForSubtask(128, 4, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyGroupRange.ForSubtask(128, 4, -1));
    }

    [Fact]
    public void Intersect_contains_and_count_agree()
    {
        var a = new KeyGroupRange(10, 20);

        Assert.Equal(new KeyGroupRange(15, 20), a.Intersect(new KeyGroupRange(15, 30)));
        Assert.Equal(KeyGroupRange.Empty, a.Intersect(new KeyGroupRange(20, 30)));
        Assert.True(a.Contains(10));
        Assert.False(a.Contains(20));
        Assert.Equal(10, a.Count);
        Assert.True(new KeyGroupRange(5, 3).IsEmpty);
        Assert.Equal("[10, 20)", a.ToString());
    }

    private static void AssertPartition(int maxParallelism, int parallelism)
    {
        var expectedStart = 0;
        for (var subtask = 0; subtask < parallelism; subtask++)
        {
            var range = KeyGroupRange.ForSubtask(maxParallelism, parallelism, subtask);
            if (range.Start != expectedStart || range.IsEmpty)
            {
                Assert.Fail($"M={maxParallelism}, p={parallelism}: subtask {subtask} has {range}, expected a non-empty range starting at {expectedStart}");
            }

            expectedStart = range.End;
        }

        Assert.True(expectedStart == maxParallelism, $"M={maxParallelism}, p={parallelism}: the ranges end at {expectedStart}");
    }
}
