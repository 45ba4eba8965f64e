using System.Buffers.Binary;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Serialization;
using Weir.Storage.Checksums;

namespace Weir.Checkpointing.Tests.Metadata;

public sealed class ChannelStateMetadataTests
{
    private const string MetadataPath = "memory://default/job-1/chk-7/_metadata";
    private const string ChannelFile0 = "job-1/chk-7/map-0-channels-a";
    private const string ChannelFile1 = "job-1/chk-7/map-1-channels-b";
    private const string KeyedFile = "job-1/chk-7/map-0-keyed";

    [Fact]
    public void Input_and_output_channel_state_segments_round_trip_through_the_serializer_per_subtask()
    {
        var metadata = WithChannelState();

        var read = MetadataSerializer.Deserialize(MetadataSerializer.Serialize(metadata), MetadataPath);

        MetadataAssert.Equal(metadata, read);
        foreach (var (expected, actual) in metadata.Operators.SelectMany(o => o.Subtasks).Zip(read.Operators.SelectMany(o => o.Subtasks)))
        {
            Assert.Equal(expected.ChannelState, actual.ChannelState);
        }

        Assert.Contains(read.Operators.SelectMany(o => o.Subtasks).SelectMany(s => s.ChannelState), c => c.Kind == ChannelStateKind.Input);
        Assert.Contains(read.Operators.SelectMany(o => o.Subtasks).SelectMany(s => s.ChannelState), c => c.Kind == ChannelStateKind.Output);
    }

    [Fact]
    public void A_version_1_file_reads_with_its_keyed_and_operator_state_and_no_channel_state()
    {
        var payload = new DataWriter();
        payload.WriteVarInt64(7);
        payload.WriteInt64(1_767_225_600_000);
        payload.WriteString("job-1");
        payload.WriteString("Bids");
        payload.WriteByte((byte)CheckpointKind.Checkpoint);
        payload.WriteVarInt32(1); // operators
        payload.WriteString("map");
        payload.WriteString("Map");
        payload.WriteVarInt32(2); // parallelism
        payload.WriteVarInt32(128); // max parallelism
        payload.WriteVarInt32(2); // subtasks
        for (var subtask = 0; subtask < 2; subtask++)
        {
            payload.WriteVarInt32(subtask);
            payload.WriteBoolean(true); // keyed state
            payload.WriteVarInt32(subtask * 64);
            payload.WriteVarInt32((subtask + 1) * 64);
            payload.WriteVarInt32(1); // key groups
            payload.WriteVarInt32(subtask * 64);
            payload.WriteVarInt32(1); // segments
            payload.WriteString($"{KeyedFile}-{subtask}");
            payload.WriteVarInt64(0);
            payload.WriteVarInt64(100 + subtask);
            payload.WriteUInt32(0xdeadbeef);
            payload.WriteByte((byte)SegmentKind.Full);
            payload.WriteVarInt32(1); // operator list states
            payload.WriteString("offsets");
            payload.WriteByte((byte)OperatorStateDistribution.EvenSplit);
            payload.WriteVarInt32(1);
            payload.WriteBytes([(byte)subtask]);

            // Version 1 ends the subtask here: no channel state count.
        }

        var read = MetadataSerializer.Deserialize(File(1, payload.WrittenSpan), MetadataPath);

        var op = Assert.Single(read.Operators);
        Assert.Equal(("map", "Map", 2, 128), (op.OperatorUid, op.OperatorName, op.Parallelism, op.MaxParallelism));
        Assert.Equal([0, 1], op.Subtasks.Select(s => s.SubtaskIndex));
        foreach (var subtask in op.Subtasks)
        {
            Assert.Empty(subtask.ChannelState);
            var segment = Assert.Single(Assert.Single(subtask.KeyedState!.KeyGroups).Segments);
            Assert.Equal(new StateSegment($"{KeyedFile}-{subtask.SubtaskIndex}", 0, 100 + subtask.SubtaskIndex, 0xdeadbeef, SegmentKind.Full), segment);
            Assert.Equal([(byte)subtask.SubtaskIndex], Assert.Single(Assert.Single(subtask.OperatorState).Items));
        }
    }

    [Fact]
    public void An_unknown_channel_state_kind_fails_as_corrupt_naming_the_file_and_the_kind()
    {
        byte[] Serialized(ChannelStateKind kind) => MetadataSerializer.Serialize(Metadata(new OperatorStateSnapshot("map", "Map", 1, 128, [
            new SubtaskStateSnapshot(0, null, []) { ChannelState = [new ChannelStateSegment(kind, 0, ChannelFile0, 0, 10, 1)] }])));
        var bytes = Serialized(ChannelStateKind.Input);
        var other = Serialized(ChannelStateKind.Output);

        // The one payload byte that differs is the kind: make it 7, with a checksum that matches.
        var at = Enumerable.Range(16, bytes.Length - 20).Single(i => bytes[i] != other[i]);
        bytes[at] = 7;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32C.Compute(bytes.AsSpan(16, bytes.Length - 20)));
        var error = Assert.Throws<CorruptCheckpointException>(() => MetadataSerializer.Deserialize(bytes, MetadataPath));

        Assert.Equal(MetadataPath, error.Path);
        Assert.Contains("channel state kind 7", error.Message);
    }

    [Fact]
    public void An_unknown_channel_state_kind_is_refused_when_written()
    {
        var subtask = new SubtaskStateSnapshot(0, null, []) { ChannelState = [new ChannelStateSegment((ChannelStateKind)7, 0, ChannelFile0, 0, 10, 1)] };

        var error = Assert.Throws<ArgumentException>(() => MetadataSerializer.Serialize(Metadata(new OperatorStateSnapshot("map", "Map", 1, 128, [subtask]))));

        Assert.Contains("kind 7", error.Message);
    }

    [Fact]
    public void Metadata_without_channel_state_is_written_as_version_1_and_with_it_as_version_2()
    {
        var aligned = MetadataSerializer.Serialize(Metadata(new OperatorStateSnapshot("map", "Map", 1, 128, [new SubtaskStateSnapshot(0, null, [])])));
        var unaligned = MetadataSerializer.Serialize(WithChannelState());

        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(aligned.AsSpan(8)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(unaligned.AsSpan(8)));
    }

    [Fact]
    public void Referenced_files_include_the_channel_state_files_next_to_the_keyed_state_files()
    {
        var files = WithChannelState().ReferencedFiles();

        Assert.Equal(new[] { ChannelFile0, ChannelFile1, KeyedFile }.Order(StringComparer.Ordinal), files.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void State_size_counts_the_channel_state_bytes()
    {
        var metadata = WithChannelState();

        // Keyed 100, operator state 3 bytes, channel state 40 + 60 + 25.
        Assert.Equal(100 + 3 + 40 + 60 + 25, metadata.StateSize);
        Assert.Equal(25, metadata.Operators[0].Subtasks[1].StateSize);
    }

    [Fact]
    public void At_the_same_parallelism_each_subtask_gets_its_own_channel_state_and_only_from_the_operator_that_held_it()
    {
        var metadata = WithChannelState();
        var head = metadata.Operators.Single(o => o.OperatorUid == "map");
        var chained = metadata.Operators.Single(o => o.OperatorUid == "sink");

        for (var subtask = 0; subtask < 2; subtask++)
        {
            Assert.Equal(head.Subtasks.Single(s => s.SubtaskIndex == subtask).ChannelState, StateAssignment.Assign(head, 2, 128, subtask).ChannelState);
            Assert.Empty(StateAssignment.Assign(chained, 2, 128, subtask).ChannelState);
        }
    }

    [Fact]
    public void A_subtask_without_channel_state_gets_none_though_another_subtask_has_some()
    {
        var head = new OperatorStateSnapshot("map", "Map", 2, 128,
        [
            new SubtaskStateSnapshot(0, null, []),
            new SubtaskStateSnapshot(1, null, []) { ChannelState = [new ChannelStateSegment(ChannelStateKind.Input, 0, ChannelFile1, 0, 5, 9)] },
        ]);

        Assert.Empty(StateAssignment.Assign(head, 2, 128, 0).ChannelState);
        Assert.Single(StateAssignment.Assign(head, 2, 128, 1).ChannelState);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Assigning_channel_state_at_another_parallelism_fails_naming_the_operator_both_parallelisms_and_the_savepoint_way_out(int parallelism)
    {
        var head = WithChannelState().Operators.Single(o => o.OperatorUid == "map");

        var error = Assert.Throws<CheckpointMismatchException>(() => StateAssignment.Assign(head, parallelism, 128, 0));

        Assert.Contains("'Map'", error.Message);
        Assert.Contains("'map'", error.Message);
        Assert.Contains("parallelism 2", error.Message);
        Assert.Contains($"parallelism {parallelism}", error.Message);
        Assert.Contains("savepoint", error.Message);
    }

    [Fact]
    public void Validate_refuses_a_job_that_runs_an_operator_with_channel_state_at_another_parallelism()
    {
        var metadata = WithChannelState();
        var job = Job(mapParallelism: 4, sinkParallelism: 4);

        var error = Assert.Throws<CheckpointMismatchException>(() => StateAssignment.Validate(metadata, MetadataPath, job));

        Assert.Contains(MetadataPath, error.Message);
        Assert.Contains("'Map'", error.Message);
        Assert.Contains("parallelism 2", error.Message);
        Assert.Contains("at 4", error.Message);
        Assert.Contains("savepoint", error.Message);
    }

    [Fact]
    public void Validate_accepts_channel_state_at_the_same_parallelism_and_a_rescale_of_an_operator_without_it()
    {
        var metadata = WithChannelState();
        var job = Job(mapParallelism: 2, sinkParallelism: 5);

        StateAssignment.Validate(metadata, MetadataPath, job);

        var rescaledSink = StateAssignment.Assign(metadata.Operators.Single(o => o.OperatorUid == "sink"), 5, 128, 4);
        Assert.Empty(rescaledSink.ChannelState);
    }

    /// <summary>The job's operators "map" and "sink" at the given parallelisms, max parallelism 128.</summary>
    private static Dictionary<string, OperatorDescriptor> Job(int mapParallelism, int sinkParallelism) => new()
    {
        ["map"] = new("map", "Map", mapParallelism, 128),
        ["sink"] = new("sink", "Sink", sinkParallelism, 128),
    };

    /// <summary>
    /// Operator "map" (the head of its chain, parallelism 2) with channel state on both subtasks, and
    /// a chained "sink" with operator state only.
    /// </summary>
    private static CheckpointMetadata WithChannelState()
    {
        var map = new OperatorStateSnapshot("map", "Map", 2, 128,
        [
            new SubtaskStateSnapshot(0, new KeyedStateHandle(new KeyGroupRange(0, 64), [new KeyGroupState(3, [new StateSegment(KeyedFile, 0, 100, 0x1234, SegmentKind.Full)])]), [])
            {
                ChannelState =
                [
                    new ChannelStateSegment(ChannelStateKind.Input, 2, ChannelFile0, 0, 40, 0xaaaa0001),
                    new ChannelStateSegment(ChannelStateKind.Output, 0, ChannelFile0, 40, 60, 0xbbbb0002),
                ],
            },
            new SubtaskStateSnapshot(1, new KeyedStateHandle(new KeyGroupRange(64, 128), []), [])
            {
                ChannelState = [new ChannelStateSegment(ChannelStateKind.Output, 1, ChannelFile1, 0, 25, 0xcccc0003)],
            },
        ]);
        var sink = new OperatorStateSnapshot("sink", "Sink", 2, 128,
        [
            new SubtaskStateSnapshot(0, null, [new OperatorListStateHandle("pending", OperatorStateDistribution.EvenSplit, [[1, 2]])]),
            new SubtaskStateSnapshot(1, null, [new OperatorListStateHandle("pending", OperatorStateDistribution.EvenSplit, [[3]])]),
        ]);
        return Metadata(map, sink);
    }

    private static CheckpointMetadata Metadata(params OperatorStateSnapshot[] operators) =>
        new(7, DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000), "job-1", "Bids", CheckpointKind.Checkpoint, operators);

    private static byte[] File(uint version, ReadOnlySpan<byte> payload)
    {
        var file = new byte[16 + payload.Length + 4];
        "WEIRMETA"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), version);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(12), payload.Length);
        payload.CopyTo(file.AsSpan(16));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(16 + payload.Length), Crc32C.Compute(payload));
        return file;
    }
}
