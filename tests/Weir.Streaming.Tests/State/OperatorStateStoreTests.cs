using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Streaming.State;

namespace Weir.Streaming.Tests.State;

public sealed class OperatorStateStoreTests
{
    private static readonly Dictionary<string, IReadOnlyList<byte[]>> Nothing = [];

    [Fact]
    public void List_states_round_trip_through_a_snapshot_with_their_names_and_distributions()
    {
        var store = new OperatorStateStore(Nothing);
        var offsets = store.GetListState<(string Split, long Offset)>("offsets");
        var pending = store.GetListState<string>("pending-files", OperatorStateDistribution.Union);
        offsets.Add(("part-0", 17));
        offsets.Add(("part-1", long.MaxValue));
        pending.Update(["a.tmp", "", "ü.tmp"]);

        var handles = store.Snapshot();
        var restored = new OperatorStateStore(handles.ToDictionary(h => h.Name, h => h.Items));

        Assert.Equal([("offsets", OperatorStateDistribution.EvenSplit), ("pending-files", OperatorStateDistribution.Union)], handles.Select(h => (h.Name, h.Distribution)));
        Assert.Equal([("part-0", 17L), ("part-1", long.MaxValue)], restored.GetListState<(string, long)>("offsets").Get());
        Assert.Equal(["a.tmp", "", "ü.tmp"], restored.GetListState<string>("pending-files", OperatorStateDistribution.Union).Get());
    }

    [Fact]
    public void A_snapshot_is_a_copy_that_later_changes_do_not_reach()
    {
        var store = new OperatorStateStore(Nothing);
        var state = store.GetListState<int>("s");
        state.Add(1);

        var handle = store.Snapshot().Single();
        state.Add(2);
        state.Clear();

        Assert.Equal([1], new OperatorStateStore(new Dictionary<string, IReadOnlyList<byte[]>> { ["s"] = handle.Items }).GetListState<int>("s").Get());
    }

    [Fact]
    public void Operator_state_survives_a_rescale_through_state_assignment()
    {
        var snapshots = Enumerable.Range(0, 2).Select(subtask =>
        {
            var store = new OperatorStateStore(Nothing);
            var offsets = store.GetListState<long>("offsets");
            offsets.Add(subtask * 100);
            offsets.Add((subtask * 100) + 1);
            return new SubtaskStateSnapshot(subtask, null, store.Snapshot());
        }).ToArray();
        var operatorState = new OperatorStateSnapshot("source", "Source", 2, 128, snapshots);

        var restored = Enumerable.Range(0, 3)
            .SelectMany(subtask => new OperatorStateStore(StateAssignment.Assign(operatorState, 3, 128, subtask).ListStates).GetListState<long>("offsets").Get())
            .ToArray();

        Assert.Equal([0L, 1, 100, 101], restored);
    }

    [Fact]
    public void A_state_name_keeps_one_type()
    {
        var store = new OperatorStateStore(Nothing);
        store.GetListState<int>("s");

        var error = Assert.Throws<InvalidOperationException>(() => store.GetListState<string>("s"));

        Assert.Contains("Operator state 's' was registered before with another type", error.Message);
    }

    [Fact]
    public void Getting_a_state_twice_returns_the_same_items()
    {
        var store = new OperatorStateStore(Nothing);
        store.GetListState<int>("s").Add(3);

        Assert.Equal([3], store.GetListState<int>("s").Get());
    }
}
