using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Storage;

namespace Weir.Checkpointing.Tests.Coordinator;

/// <summary>The registry's decisions alone: a watermark of the lowest retained checkpoint, protection, unregistered files of an ended attempt, the start-up sweep.</summary>
public sealed class SharedStateRegistryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_file_goes_once_its_last_user_is_older_than_the_lowest_retained_checkpoint()
    {
        var registry = new SharedStateRegistry();
        registry.Register(Checkpoint(1, "a", "b"));
        registry.Register(Checkpoint(2, "a", "c"));
        registry.Register(Checkpoint(3, "a", "c", "d"));

        Assert.Empty(registry.Unregister(lowestRetainedCheckpointId: 1));
        Assert.Equal(["job/shared/b"], registry.Unregister(lowestRetainedCheckpointId: 2));
        Assert.Empty(registry.Unregister(lowestRetainedCheckpointId: 3));
        Assert.Equal(["job/shared/a", "job/shared/c", "job/shared/d"], registry.Unregister(long.MaxValue).Order());
        Assert.Equal(0, registry.Count);
    }

    [Fact]
    public void A_file_named_again_after_a_gap_is_kept_for_its_newest_user_not_counted()
    {
        // Reference counting would drop "a" to zero when checkpoint 1 goes, although 3 names it again.
        var registry = new SharedStateRegistry();
        registry.Register(Checkpoint(1, "a"));
        registry.Register(Checkpoint(2, "b"));
        registry.Register(Checkpoint(3, "a", "b"));

        Assert.Empty(registry.Unregister(lowestRetainedCheckpointId: 3));
        Assert.True(registry.IsRegistered("job/shared/a"));
    }

    [Fact]
    public void Protected_files_are_never_deleted()
    {
        var registry = new SharedStateRegistry();
        registry.Protect(["job/shared/restored"]);
        registry.Register(Checkpoint(5, "restored", "new"));

        Assert.Equal(["job/shared/new"], registry.Unregister(long.MaxValue));
        Assert.True(registry.IsProtected("job/shared/restored"));
    }

    [Fact]
    public void Acknowledged_files_no_completed_checkpoint_registered_go_when_the_attempt_ends()
    {
        var registry = new SharedStateRegistry();
        registry.Register(Checkpoint(1, "base"));
        registry.Acknowledged(["job/shared/base", "job/shared/delta-2", "job/shared/delta-3"]);
        registry.Register(Checkpoint(3, "base", "delta-2", "delta-3"));
        registry.Acknowledged(["job/shared/delta-4", "job/shared/delta-5"]);
        registry.Protect(["job/shared/delta-5"]);

        Assert.Equal(["job/shared/delta-4"], registry.DiscardUnregistered());
        Assert.Empty(registry.DiscardUnregistered());
    }

    [Fact]
    public void The_sweep_takes_unreferenced_unregistered_files_older_than_the_newest_complete_checkpoint()
    {
        var registry = new SharedStateRegistry();
        registry.Register(Checkpoint(9, "claimed"));
        StoredFile[] files =
        [
            new("job/shared/referenced", 10, T0),
            new("job/shared/orphan", 10, T0),
            new("job/shared/claimed", 10, T0),
            new("job/shared/newer", 10, T0.AddMinutes(2)),
        ];

        Assert.Equal(["job/shared/orphan"], registry.Sweep(files, new HashSet<string> { "job/shared/referenced" }, T0.AddMinutes(1)));
        Assert.Empty(registry.Sweep(files, new HashSet<string>(), newestComplete: null));
    }

    [Fact]
    public void Only_files_in_a_shared_directory_are_the_registrys()
    {
        var registry = new SharedStateRegistry();
        var checkpoint = new CheckpointMetadata(1, T0, "job", "job", CheckpointKind.Checkpoint, [Operator("job/chk-1/op-0", "job/shared/x", "other/shared/y")]);

        registry.Register(checkpoint);

        Assert.True(registry.IsRegistered("job/shared/x"));
        Assert.True(registry.IsRegistered("other/shared/y"));
        Assert.False(registry.IsRegistered("job/chk-1/op-0"));
    }

    internal static CheckpointMetadata Checkpoint(long id, params string[] files) =>
        new(id, T0, "job", "job", CheckpointKind.Checkpoint, [Operator([.. files.Select(f => $"job/shared/{f}")])]);

    private static OperatorStateSnapshot Operator(params string[] paths) =>
        new("op", "op", 1, 128, [new SubtaskStateSnapshot(0, new KeyedStateHandle(new KeyGroupRange(0, 128), [.. paths.Select((p, i) => new KeyGroupState(i, [new StateSegment(p, 0, 1, 0, SegmentKind.Delta)]))]), [])]);
}
