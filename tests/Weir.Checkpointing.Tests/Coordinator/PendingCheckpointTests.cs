using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;

namespace Weir.Checkpointing.Tests.Coordinator;

public sealed class PendingCheckpointTests
{
    private static readonly TaskKey Source = new("source", 0);
    private static readonly TaskKey Map0 = new("map", 0);
    private static readonly TaskKey Map1 = new("map", 1);
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void It_is_fully_acknowledged_only_after_every_task_acknowledged_successfully()
    {
        var pending = Create();

        Assert.Equal(AcknowledgeResult.Success, pending.Acknowledge(Source, Ack("source", 0)));
        Assert.Equal(AcknowledgeResult.Success, pending.Acknowledge(Map1, Ack("map", 1)));
        Assert.False(pending.IsFullyAcknowledged);
        Assert.Equal([Map0], pending.NotYetAcknowledged);

        Assert.Equal(AcknowledgeResult.Success, pending.Acknowledge(Map0, Ack("map", 0)));
        Assert.True(pending.IsFullyAcknowledged);
        Assert.Empty(pending.NotYetAcknowledged);
    }

    [Fact]
    public void A_duplicate_ack_is_reported_and_keeps_the_first_acks_state()
    {
        var pending = Create();
        var first = Ack("map", 0);
        pending.Acknowledge(Map0, first);

        var result = pending.Acknowledge(Map0, Ack("map", 0));

        Assert.Equal(AcknowledgeResult.Duplicate, result);
        Assert.Same(first, pending.Acknowledgements[Map0]);
        Assert.Equal(2, pending.NotYetAcknowledged.Count);
    }

    [Fact]
    public void An_ack_from_a_task_that_was_never_asked_is_unknown_and_counts_for_nothing()
    {
        var pending = Create();

        var result = pending.Acknowledge(new TaskKey("map", 7), Ack("map", 7));

        Assert.Equal(AcknowledgeResult.Unknown, result);
        Assert.Equal(3, pending.NotYetAcknowledged.Count);
        Assert.Empty(pending.Acknowledgements);
    }

    [Fact]
    public void After_discard_every_ack_is_answered_discarded_and_the_checkpoint_never_counts_as_fully_acknowledged()
    {
        var pending = Create();
        pending.Acknowledge(Source, Ack("source", 0));
        pending.Acknowledge(Map0, Ack("map", 0));

        pending.Discard();

        Assert.Equal(AcknowledgeResult.Discarded, pending.Acknowledge(Map1, Ack("map", 1)));
        Assert.Equal(AcknowledgeResult.Discarded, pending.Acknowledge(Source, Ack("source", 0)));
        Assert.True(pending.IsDiscarded);
        Assert.False(pending.IsFullyAcknowledged);
    }

    [Fact]
    public void Acknowledging_is_idempotent_whatever_the_order_and_repetitions()
    {
        var tasks = new[] { Source, Map0, Map1 };
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            var pending = Create();
            var acked = new HashSet<TaskKey>();
            for (var i = 0; i < 12; i++)
            {
                var task = tasks[random.Next(tasks.Length)];
                var result = pending.Acknowledge(task, Ack(task.VertexId, task.Subtask));
                Assert.Equal(acked.Add(task) ? AcknowledgeResult.Success : AcknowledgeResult.Duplicate, result);
                Assert.Equal(acked.Count == tasks.Length, pending.IsFullyAcknowledged);
            }
        }
    }

    [Fact]
    public void Metadata_groups_subtask_states_by_operator_in_subtask_order_and_lists_stateless_operators_empty()
    {
        var pending = Create();
        pending.Acknowledge(Map1, Ack("map", 1));
        pending.Acknowledge(Source, Ack("source", 0));
        pending.Acknowledge(Map0, Ack("map", 0));
        var operators = new Dictionary<string, OperatorDescriptor>
        {
            ["source"] = new("source", "Source", 1, 128),
            ["map"] = new("map", "Map", 2, 128),
            ["sink"] = new("sink", "Sink", 1, 128),
        };

        var metadata = pending.ToMetadata("job-1", "word count", operators);

        Assert.Equal(4, metadata.CheckpointId);
        Assert.Equal(T0, metadata.Timestamp);
        Assert.Equal(("job-1", "word count", CheckpointKind.Savepoint), (metadata.JobId, metadata.JobName, metadata.Kind));
        Assert.Equal(["map", "sink", "source"], metadata.Operators.Select(o => o.OperatorUid));
        Assert.Equal([0, 1], metadata.Operators[0].Subtasks.Select(s => s.SubtaskIndex));
        Assert.Equal((2, 128), (metadata.Operators[0].Parallelism, metadata.Operators[0].MaxParallelism));
        Assert.Empty(metadata.Operators[1].Subtasks);
        Assert.Single(metadata.Operators[2].Subtasks);
    }

    private static PendingCheckpoint Create() => new(4, T0, CheckpointKind.Savepoint, [Source, Map0, Map1], T0.AddMinutes(10));

    private static TaskCheckpointAck Ack(string uid, int subtask) =>
        new(new Dictionary<string, SubtaskStateSnapshot> { [uid] = new(subtask, null, [new OperatorListStateHandle("offsets", OperatorStateDistribution.EvenSplit, [[(byte)subtask]])]) }, TimeSpan.Zero, TimeSpan.Zero);
}
