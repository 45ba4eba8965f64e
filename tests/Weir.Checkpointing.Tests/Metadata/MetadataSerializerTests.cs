using System.Buffers.Binary;
using Weir.Checkpointing.Metadata;
using Weir.Storage.Checksums;

namespace Weir.Checkpointing.Tests.Metadata;

public sealed class MetadataSerializerTests
{
    private const string Path = "memory://default/job-1/chk-42/_metadata";

    [Fact]
    public void Rich_metadata_round_trips_field_for_field()
    {
        var metadata = Rich();

        var read = MetadataSerializer.Deserialize(MetadataSerializer.Serialize(metadata), Path);

        MetadataAssert.Equal(metadata, read);
    }

    [Fact]
    public void Metadata_without_operators_round_trips()
    {
        var metadata = new CheckpointMetadata(1, DateTimeOffset.UnixEpoch, "j", "", CheckpointKind.Checkpoint, []);

        MetadataAssert.Equal(metadata, MetadataSerializer.Deserialize(MetadataSerializer.Serialize(metadata), Path));
    }

    [Fact]
    public void The_file_starts_with_the_magic_and_the_version_older_builds_read()
    {
        var bytes = MetadataSerializer.Serialize(Rich());

        // Without channel state (aligned checkpoints, savepoints) the version stays 1.
        Assert.Equal("WEIRMETA"u8.ToArray(), bytes[..8]);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(bytes.Length - 20, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12)));
    }

    [Fact]
    public void Every_truncation_of_a_metadata_file_fails_naming_the_file_and_saying_it_is_truncated()
    {
        var bytes = MetadataSerializer.Serialize(Rich());

        for (var length = 0; length < bytes.Length; length++)
        {
            var error = Assert.Throws<CorruptCheckpointException>(() => MetadataSerializer.Deserialize(bytes.AsSpan(0, length), Path));
            Assert.Equal(Path, error.Path);
            Assert.Contains(Path, error.Message);
            Assert.Contains("truncated", error.Message);
        }
    }

    [Fact]
    public void Trailing_bytes_after_the_checksum_fail()
    {
        var bytes = MetadataSerializer.Serialize(Rich());

        var error = Assert.Throws<CorruptCheckpointException>(() => MetadataSerializer.Deserialize([.. bytes, 0], Path));

        Assert.Contains("trailing bytes", error.Message);
    }

    [Fact]
    public void A_flipped_bit_anywhere_in_the_file_fails_with_a_checksum_magic_version_or_length_message()
    {
        var bytes = MetadataSerializer.Serialize(Rich());

        for (var position = 0; position < bytes.Length; position++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var corrupt = bytes.ToArray();
                corrupt[position] ^= (byte)(1 << bit);

                var error = Assert.Throws<CorruptCheckpointException>(() => MetadataSerializer.Deserialize(corrupt, Path));

                Assert.Equal(Path, error.Path);
                var expected = position switch
                {
                    < 8 => "does not start with WEIRMETA",
                    < 12 => "format version",
                    < 16 => "payload bytes",
                    _ => "checksum does not match",
                };
                Assert.Contains(expected, error.Message);
            }
        }
    }

    [Fact]
    public void A_newer_format_version_is_refused_naming_the_versions_this_build_reads()
    {
        var bytes = MetadataSerializer.Serialize(Rich());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), MetadataSerializer.CurrentVersion + 1);

        var error = Assert.Throws<CorruptCheckpointException>(() => MetadataSerializer.Deserialize(bytes, Path));

        Assert.Contains($"format version {MetadataSerializer.CurrentVersion + 1} is not supported (this build reads versions 1 to {MetadataSerializer.CurrentVersion})", error.Message);
    }

    [Fact]
    public void A_payload_with_a_valid_checksum_but_a_broken_structure_fails_as_corrupt_never_with_another_exception()
    {
        var valid = MetadataSerializer.Serialize(Rich());
        var payloadLength = valid.Length - 20;
        for (var seed = 0; seed < 2_000; seed++)
        {
            var random = new Random(seed);
            var payload = valid.AsSpan(16, payloadLength).ToArray();
            if (seed % 2 == 0)
            {
                payload[random.Next(payload.Length)] = (byte)random.Next(256);
            }
            else
            {
                random.NextBytes(payload);
            }

            var file = WithValidChecksum(payload);
            try
            {
                MetadataSerializer.Deserialize(file, Path);
            }
            catch (CorruptCheckpointException error)
            {
                Assert.Equal(Path, error.Path);
            }
            catch (Exception other)
            {
                Assert.Fail($"seed {seed}: {other.GetType().Name} instead of CorruptCheckpointException: {other.Message}");
            }
        }
    }

    internal static byte[] WithValidChecksum(byte[] payload)
    {
        var file = new byte[payload.Length + 20];
        "WEIRMETA"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), MetadataSerializer.CurrentVersion);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(12), payload.Length);
        payload.CopyTo(file, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(16 + payload.Length), Crc32C.Compute(payload));
        return file;
    }

    internal static CheckpointMetadata Rich() => new(
        CheckpointId: 42_000_000_000,
        Timestamp: new DateTimeOffset(2026, 3, 4, 5, 6, 7, 890, TimeSpan.Zero),
        JobId: "job-1",
        JobName: "Wörd cöunt ✓ 🌊",
        Kind: CheckpointKind.Savepoint,
        Operators:
        [
            new OperatorStateSnapshot("source", "Source: kafka", 2, 128,
            [
                new SubtaskStateSnapshot(0, null, [new OperatorListStateHandle("offsets", OperatorStateDistribution.EvenSplit, [[1, 2, 3], [], [255]])]),
                new SubtaskStateSnapshot(1, null, [new OperatorListStateHandle("offsets", OperatorStateDistribution.EvenSplit, [[4]]), new OperatorListStateHandle("watermarks", OperatorStateDistribution.Union, [])]),
            ]),
            new OperatorStateSnapshot("count", "Keyed Process", 3, 32768,
            [
                new SubtaskStateSnapshot(0, new KeyedStateHandle(new KeyGroupRange(0, 10923),
                [
                    new KeyGroupState(0, [new StateSegment("job-1/chk-42/count-0", 0, 100, 0xFFFFFFFF, SegmentKind.Full)]),
                    new KeyGroupState(10922, [new StateSegment("job-1/shared/abc", long.MaxValue / 2, 1L << 40, 0x12345678, SegmentKind.Full), new StateSegment("job-1/shared/def", 7, 9, 0, SegmentKind.Delta)]),
                ]), []),
                new SubtaskStateSnapshot(2, new KeyedStateHandle(new KeyGroupRange(21846, 32768), []), []),
            ]),
            new OperatorStateSnapshot("sink", "Sink: files", 1, 1, []),
        ]);
}
