using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;

namespace Weir.Checkpointing.Tests.Coordinator;

public sealed class CompletedCheckpointStoreTests
{
    [Fact]
    public void It_keeps_the_newest_num_retained_checkpoints()
    {
        var store = new CompletedCheckpointStore(numRetained: 3);

        foreach (var id in new long[] { 1, 2, 3, 4, 5 })
        {
            store.Add(Completed(id));
        }

        Assert.Equal([3, 4, 5], store.Retained.Select(c => c.CheckpointId));
        Assert.Equal(5, store.Latest!.CheckpointId);
    }

    [Fact]
    public void Adding_returns_nothing_until_the_store_is_full_then_the_one_it_pushes_out()
    {
        var store = new CompletedCheckpointStore(numRetained: 2);

        Assert.Empty(store.Add(Completed(1)));
        Assert.Empty(store.Add(Completed(2)));
        Assert.Equal([1], store.Add(Completed(3)).Select(c => c.CheckpointId));
    }

    [Fact]
    public void Subsumed_checkpoints_are_returned_oldest_first()
    {
        var store = new CompletedCheckpointStore(numRetained: 2);
        store.Add(Completed(1));
        store.Add(Completed(2));

        var subsumed = new List<long>();
        foreach (var id in new long[] { 3, 4, 5, 6 })
        {
            subsumed.AddRange(store.Add(Completed(id)).Select(c => c.CheckpointId));
        }

        Assert.Equal([1, 2, 3, 4], subsumed);
        Assert.Equal([5, 6], store.Retained.Select(c => c.CheckpointId));
    }

    [Fact]
    public void Ids_must_increase()
    {
        var store = new CompletedCheckpointStore(numRetained: 3);
        store.Add(Completed(5));

        var equal = Assert.Throws<InvalidOperationException>(() => store.Add(Completed(5)));
        var older = Assert.Throws<InvalidOperationException>(() => store.Add(Completed(4)));

        Assert.Contains("ids must increase", equal.Message);
        Assert.Contains("Checkpoint 4 completed after checkpoint 5", older.Message);
        Assert.Equal([5], store.Retained.Select(c => c.CheckpointId));
    }

    [Fact]
    public void Clear_returns_everything_it_held_oldest_first_and_empties_the_store()
    {
        var store = new CompletedCheckpointStore(numRetained: 3);
        store.Add(Completed(1));
        store.Add(Completed(2));

        Assert.Equal([1, 2], store.Clear().Select(c => c.CheckpointId));
        Assert.Empty(store.Retained);
        Assert.Null(store.Latest);
    }

    [Fact]
    public void A_checkpoint_pushed_out_is_on_storage_until_it_is_reported_discarded()
    {
        var store = new CompletedCheckpointStore(numRetained: 1);
        store.Add(Completed(1));
        Assert.Equal(1, store.OldestOnStorage);

        store.Add(Completed(2));
        store.Add(Completed(3));
        Assert.Equal([1, 2], store.Discarding.Select(c => c.CheckpointId));
        Assert.Equal(1, store.OldestOnStorage);

        store.Discarded(store.Discarding[0]);
        Assert.Equal(2, store.OldestOnStorage);
        store.Discarded(store.Discarding[0]);
        Assert.Equal(3, store.OldestOnStorage);

        store.Clear();
        Assert.Equal([3], store.Discarding.Select(c => c.CheckpointId));
        store.Discarded(store.Discarding[0]);
        Assert.Null(store.OldestOnStorage);
    }

    internal static CompletedCheckpoint Completed(long id) =>
        new(new CheckpointMetadata(id, DateTimeOffset.UnixEpoch, "job", "job", CheckpointKind.Checkpoint, []), $"job/chk-{id}/_metadata", DateTimeOffset.UnixEpoch, TimeSpan.Zero, 0);
}
