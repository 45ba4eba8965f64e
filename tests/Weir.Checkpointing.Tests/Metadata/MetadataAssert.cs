using Weir.Checkpointing.Metadata;

namespace Weir.Checkpointing.Tests.Metadata;

/// <summary>Field-by-field equality of metadata (the records hold lists, which compare by reference).</summary>
internal static class MetadataAssert
{
    public static void Equal(CheckpointMetadata expected, CheckpointMetadata actual)
    {
        Assert.Equal((expected.CheckpointId, expected.Timestamp, expected.JobId, expected.JobName, expected.Kind), (actual.CheckpointId, actual.Timestamp, actual.JobId, actual.JobName, actual.Kind));
        Assert.Equal(expected.Operators.Count, actual.Operators.Count);
        foreach (var (e, a) in expected.Operators.Zip(actual.Operators))
        {
            Assert.Equal((e.OperatorUid, e.OperatorName, e.Parallelism, e.MaxParallelism), (a.OperatorUid, a.OperatorName, a.Parallelism, a.MaxParallelism));
            Assert.Equal(e.Subtasks.Count, a.Subtasks.Count);
            foreach (var (es, @as) in e.Subtasks.Zip(a.Subtasks))
            {
                Equal(es, @as);
            }
        }
    }

    public static void Equal(SubtaskStateSnapshot expected, SubtaskStateSnapshot actual)
    {
        Assert.Equal(expected.SubtaskIndex, actual.SubtaskIndex);
        Assert.Equal(expected.KeyedState is null, actual.KeyedState is null);
        if (expected.KeyedState is { } ek)
        {
            var ak = actual.KeyedState!;
            Assert.Equal(ek.Range, ak.Range);
            Assert.Equal(ek.KeyGroups.Select(g => (g.KeyGroup, string.Join(";", g.Segments))), ak.KeyGroups.Select(g => (g.KeyGroup, string.Join(";", g.Segments))));
        }

        Assert.Equal(expected.OperatorState.Count, actual.OperatorState.Count);
        foreach (var (e, a) in expected.OperatorState.Zip(actual.OperatorState))
        {
            Assert.Equal((e.Name, e.Distribution), (a.Name, a.Distribution));
            Assert.Equal(e.Items.Count, a.Items.Count);
            foreach (var (ei, ai) in e.Items.Zip(a.Items))
            {
                Assert.Equal(ei, ai);
            }
        }
    }
}
