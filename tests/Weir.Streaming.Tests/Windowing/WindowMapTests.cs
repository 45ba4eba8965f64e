using Weir.Serialization;
using Weir.Streaming.Windowing;

namespace Weir.Streaming.Tests.Windowing;

/// <summary>A key's windows: kept sorted by start then end, set, replaced and removed like a dictionary, copied apart, and serialized as a dictionary of windows would be.</summary>
public sealed class WindowMapTests
{
    [Fact]
    public void Windows_stay_sorted_by_start_then_end_through_sets_replacements_and_removals()
    {
        var map = new WindowMap<long>();
        var reference = new SortedDictionary<(long, long), long>();
        var random = new Random(5);
        for (var i = 0; i < 2_000; i++)
        {
            var window = new TimeWindow(random.Next(8) * 10, (random.Next(8) * 10) + 100);
            if (random.Next(3) == 0)
            {
                Assert.Equal(reference.Remove((window.Start, window.End)), map.Remove(window));
            }
            else
            {
                map[window] = i;
                reference[(window.Start, window.End)] = i;
            }

            Assert.Equal(reference.Select(e => (new TimeWindow(e.Key.Item1, e.Key.Item2), e.Value)), Enumerable.Range(0, map.Count).Select(j => (map.WindowAt(j), map.AccumulatorAt(j))));
        }
    }

    [Fact]
    public void A_copy_changes_apart_from_its_original_and_copies_accumulators_when_asked()
    {
        var map = new WindowMap<List<int>>();
        map[new TimeWindow(0, 10)] = [1];
        map[new TimeWindow(10, 20)] = [2];

        var shallow = map.Copy(null);
        var deep = map.Copy(list => [.. list]);
        map.SetAt(0, [9]);
        map.Remove(new TimeWindow(10, 20));
        shallow.AccumulatorAt(1).Add(3);

        Assert.Equal([1], shallow.AccumulatorAt(0));
        Assert.Equal(2, deep.Count);
        Assert.Equal([2], deep.AccumulatorAt(1));
        Assert.Equal([9], map.AccumulatorAt(0));
        Assert.Equal(1, map.Count);
    }

    [Fact]
    public void It_is_written_byte_for_byte_as_a_dictionary_of_windows_and_reads_back()
    {
        WindowMapSerializer<long>.Register();
        var map = new WindowMap<long>();
        map[new TimeWindow(10, 20)] = 7;
        map[new TimeWindow(0, 10)] = -3;
        var asDictionary = new Dictionary<TimeWindow, long> { [new TimeWindow(0, 10)] = -3, [new TimeWindow(10, 20)] = 7 };

        var writer = new DataWriter();
        WindowMapSerializer<long>.Instance.Write(writer, map);
        var dictionaryWriter = new DataWriter();
        Serializers.Get<Dictionary<TimeWindow, long>>().Write(dictionaryWriter, asDictionary);
        var reader = new DataReader(writer.WrittenSpan);
        var read = WindowMapSerializer<long>.Instance.Read(ref reader);

        Assert.Equal(dictionaryWriter.ToArray(), writer.ToArray());
        Assert.Equal([(new TimeWindow(0, 10), -3L), (new TimeWindow(10, 20), 7L)], Enumerable.Range(0, read.Count).Select(j => (read.WindowAt(j), read.AccumulatorAt(j))));
    }
}
