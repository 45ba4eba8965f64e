using Weir.Checkpointing.Metadata;
using Weir.Streaming.Elements;
using Weir.Streaming.Output;
using Weir.Streaming.Tasks;
using Weir.Streaming.Tests.ChannelState;

namespace Weir.Streaming.Tests.Writers;

/// <summary>The output side of the alignment timeout: an aligned barrier waiting for credit in a sender.</summary>
public sealed class ChannelSenderTests
{
    private static readonly DateTimeOffset Triggered = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);

    [Fact]
    public void A_waiting_barrier_promoted_goes_ahead_as_unaligned_and_returns_what_it_overtook_which_is_still_sent()
    {
        var channel = new FullChannel();
        var sender = new ChannelSender(channel, () => { });
        var barrier = new CheckpointBarrier(3, Triggered, CheckpointKind.Checkpoint, unaligned: false, TimeSpan.FromMilliseconds(50));
        var (before, after) = (Kept.Batch(1, 2), Kept.Batch(3));
        sender.Send(before);
        sender.Send(barrier);
        sender.Send(after);
        Assert.True(sender.IsWaiting(barrier));

        var overtaken = sender.Promote(barrier);

        Assert.Equal([before], overtaken!);
        var promoted = Assert.IsType<CheckpointBarrier>(Assert.Single(channel.Priority));
        Assert.True(promoted.Unaligned);
        Assert.Equal(3, promoted.CheckpointId);
        Assert.False(sender.IsWaiting(barrier));

        // What waited is still sent, in order, without the barrier.
        channel.Credit = 10;
        Assert.True(sender.TrySendPending());
        Assert.Equal<StreamElement>([before, after], channel.Written);
    }

    [Fact]
    public void A_barrier_sent_in_line_is_no_longer_waiting_and_is_not_promoted()
    {
        var channel = new FullChannel();
        var sender = new ChannelSender(channel, () => { });
        var barrier = new CheckpointBarrier(3, Triggered, CheckpointKind.Checkpoint, unaligned: false, TimeSpan.FromMilliseconds(50));
        sender.Send(Kept.Batch(1));
        sender.Send(barrier);
        channel.Credit = 2;
        Assert.True(sender.TrySendPending());

        Assert.False(sender.IsWaiting(barrier));
        Assert.Null(sender.Promote(barrier));
        Assert.Empty(channel.Priority);
        Assert.Same(barrier, channel.Written[^1]);
    }

    /// <summary>A channel with <see cref="Credit"/> writes left (none at first).</summary>
    private sealed class FullChannel : IOutputChannel
    {
        public int Credit { get; set; }

        public List<StreamElement> Written { get; } = [];

        public List<StreamElement> Priority { get; } = [];

        public bool TryWrite(StreamElement element)
        {
            if (Credit == 0)
            {
                return false;
            }

            Credit--;
            Written.Add(element);
            return true;
        }

        public void SetCreditListener(Action listener)
        {
        }

        public void WritePriority(StreamElement element) => Priority.Add(element);
    }
}
