using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Serialization;
using Weir.Storage;
using Weir.Storage.InMemory;
using Weir.Streaming.State;
using Weir.Streaming.Tasks;
using Weir.Streaming.Timers;

namespace Weir.Streaming.Tests.Timers;

/// <summary>
/// A key's timers in one domain: ascending distinct timestamps, one kept inline; inserted and removed
/// as values (the old one unchanged), encoded byte for byte as the <c>long[]</c> timers were before, so
/// checkpoints written with either restore into the other.
/// </summary>
public sealed class TimerTimestampsTests
{
    [Fact]
    public void Inserting_and_removing_keep_the_timestamps_ascending_and_leave_the_old_value_alone()
    {
        var one = TimerTimestamps.Of(20);
        var two = one.Insert(~one.IndexOf(10), 10);
        var three = two.Insert(~two.IndexOf(30), 30);
        var four = three.Insert(~three.IndexOf(25), 25);

        Assert.Equal([20L], Items(one));
        Assert.Equal([10L, 20L], Items(two));
        Assert.Equal([10L, 20L, 30L], Items(three));
        Assert.Equal([10L, 20L, 25L, 30L], Items(four));
        Assert.Equal([10L, 25L, 30L], Items(four.RemoveAt(four.IndexOf(20))));
        Assert.Equal([30L], Items(two.Insert(2, 30).RemoveAt(0).RemoveAt(0)));
        Assert.Equal([10L], Items(two.RemoveAt(1)));
        Assert.Equal([10L, 20L, 25L, 30L], Items(four));
    }

    [Theory]
    [InlineData(20, 0)]
    [InlineData(10, ~0)]
    [InlineData(30, ~1)]
    public void One_inline_timestamp_is_searched_as_an_array_of_one(long timestamp, int expected)
    {
        Assert.Equal(expected, TimerTimestamps.Of(20).IndexOf(timestamp));
        Assert.Equal(expected, Array.BinarySearch([20L], timestamp));
    }

    [Fact]
    public void The_last_timer_is_not_removed_from_the_value_but_with_the_keys_entry()
    {
        Assert.Throws<InvalidOperationException>(() => TimerTimestamps.Of(1).RemoveAt(0));
        Assert.Throws<ArgumentException>(() => TimerTimestamps.OfSorted([]));
    }

    [Fact]
    public void A_decoded_timer_list_that_is_not_ascending_is_an_error_saying_so()
    {
        var writer = new DataWriter();
        writer.WriteVarUInt64(4);
        writer.WriteVarInt64(30);
        writer.WriteVarInt64(10);
        writer.WriteVarInt64(20);

        var error = Assert.Throws<SerializationException>(() =>
        {
            var reader = new DataReader(writer.WrittenSpan);
            TimerTimestampsSerializer.Instance.Read(ref reader);
        });
        Assert.Contains("not in ascending order (10 after 30)", error.Message);
    }

    [Theory]
    [InlineData(new long[] { 1_999 })]
    [InlineData(new long[] { -5, 1_999, long.MaxValue - 1 })]
    public void The_encoding_is_that_of_a_long_array_both_ways(long[] timestamps)
    {
        var asArray = Encode(Serializers.Get<long[]>(), timestamps);
        var asTimers = Encode(TimerTimestampsSerializer.Instance, TimerTimestamps.OfSorted(timestamps));

        Assert.Equal(asArray, asTimers);
        var reader = new DataReader(asArray);
        Assert.Equal(timestamps, Items(TimerTimestampsSerializer.Instance.Read(ref reader)));
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData(new byte[] { 0 }, "nothing")]
    [InlineData(new byte[] { 1 }, "no timestamps")]
    [InlineData(new byte[] { 0x80, 0x80, 0x04, 2 }, "more than the 1 bytes left")]
    public void A_timer_list_that_cannot_be_one_is_refused_with_what_it_held(byte[] bytes, string expected)
    {
        var error = Assert.Throws<SerializationException>(() =>
        {
            var reader = new DataReader(bytes);
            TimerTimestampsSerializer.Instance.Read(ref reader);
        });

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_snapshot_pass_asks_for_the_arrays_of_keys_with_several_timers_without_boxing_the_values()
    {
        KeyValuePair<long, TimerTimestamps>[] entries = [.. Enumerable.Range(0, 64).Select(i => KeyValuePair.Create((long)i, i % 3 == 0 ? TimerTimestamps.OfSorted([i, i + 1]) : TimerTimestamps.Of(i)))];
        for (var i = 0; i < entries.Length; i++)
        {
            Prefetch.Ahead<long, TimerTimestamps>(entries, i);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 100; round++)
        {
            for (var i = 0; i < entries.Length; i++)
            {
                Prefetch.Ahead<long, TimerTimestamps>(entries, i);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task Timers_of_a_snapshot_taken_before_they_changed_restore_as_they_were()
    {
        var store = new InMemoryCheckpointStore(new ManualTimeProvider());
        var backend = new HeapKeyedStateBackend<string>(new KeyGroupRange(0, 8), 8);
        var timers = new InternalTimerService<string>(backend, new NoScheduling(), (_, _) => { });
        foreach (var (key, timestamp) in new[] { ("a", 10L), ("b", 20L), ("b", 30L) })
        {
            backend.SetCurrentKey(key);
            timers.RegisterEventTimeTimer(timestamp);
        }

        KeyedStateHandle handle;
        using (var snapshot = backend.Snapshot())
        {
            // Changed after the capture: the snapshot still writes what it captured.
            backend.SetCurrentKey("b");
            timers.DeleteEventTimeTimer(20);
            backend.SetCurrentKey("c");
            timers.RegisterEventTimeTimer(5);
            handle = await snapshot.WriteAsync(store, "job/chk-1/timers", CancellationToken.None);
        }

        var restored = new HeapKeyedStateBackend<string>(new KeyGroupRange(0, 8), 8);
        await KeyedStateRestore.RestoreAsync(store, restored, handle.KeyGroups, CancellationToken.None);
        var fired = new List<(string, long)>();
        var restoredTimers = new InternalTimerService<string>(restored, new NoScheduling(), (timestamp, _) => fired.Add((restored.CurrentKey, timestamp)));
        Assert.Equal(3, restoredTimers.Count);
        restoredTimers.AdvanceWatermark(100);

        Assert.Equal([("a", 10L), ("b", 20L), ("b", 30L)], fired);
    }

    private static long[] Items(TimerTimestamps timestamps) => [.. Enumerable.Range(0, timestamps.Count).Select(i => timestamps[i])];

    private static byte[] Encode<T>(ISerializer<T> serializer, T value)
    {
        var writer = new DataWriter(64);
        serializer.Write(writer, value);
        return writer.WrittenSpan.ToArray();
    }
}
