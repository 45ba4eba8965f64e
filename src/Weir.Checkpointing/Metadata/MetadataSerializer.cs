using System.Buffers.Binary;
using Weir.Serialization;
using Weir.Storage.Checksums;

namespace Weir.Checkpointing.Metadata;

/// <summary>
/// The binary format of <c>_metadata</c>:
/// <code>
/// "WEIRMETA" (8 bytes) | version (uint32) | payload length (int32) | payload | CRC-32C of payload (uint32)
/// </code>
/// Reading checks all four, so a truncated or altered file fails with an error naming the file
/// and what is wrong, never with a half-read checkpoint. Version 2 adds each subtask's channel
/// state (unaligned checkpoints); metadata without any is written as version 1, which older
/// builds read, and version 1 files read as having none.
/// </summary>
public static class MetadataSerializer
{
    /// <summary>The format version this build writes.</summary>
    public const uint CurrentVersion = 2;

    private static readonly byte[] Magic = "WEIRMETA"u8.ToArray();
    private const int HeaderLength = 16;

    /// <summary>Encodes metadata.</summary>
    public static byte[] Serialize(CheckpointMetadata metadata)
    {
        var version = metadata.HasChannelState ? CurrentVersion : 1u;
        var payload = new DataWriter(4096);
        WritePayload(payload, metadata, version);
        var result = new byte[HeaderLength + payload.Length + 4];
        Magic.CopyTo(result, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), version);
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(12), payload.Length);
        payload.WrittenSpan.CopyTo(result.AsSpan(HeaderLength));
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(HeaderLength + payload.Length), Crc32C.Compute(payload.WrittenSpan));
        return result;
    }

    /// <summary>Decodes metadata read from <paramref name="path"/> (named in errors).</summary>
    /// <exception cref="CorruptCheckpointException">The bytes are not valid metadata.</exception>
    public static CheckpointMetadata Deserialize(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < HeaderLength + 4)
        {
            throw new CorruptCheckpointException(path, $"it has {bytes.Length} bytes, fewer than a metadata header and checksum: it is truncated");
        }

        if (!bytes[..8].SequenceEqual(Magic))
        {
            throw new CorruptCheckpointException(path, "it does not start with WEIRMETA: it is not Weir checkpoint metadata");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (version > CurrentVersion || version == 0)
        {
            throw new CorruptCheckpointException(path, $"its format version {version} is not supported (this build reads versions 1 to {CurrentVersion})");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        if (length < 0 || HeaderLength + (long)length + 4 != bytes.Length)
        {
            throw new CorruptCheckpointException(path, $"it declares {length} payload bytes but holds {bytes.Length - HeaderLength - 4}: it is truncated or has trailing bytes");
        }

        var payload = bytes.Slice(HeaderLength, length);
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(HeaderLength + length)..]);
        var actual = Crc32C.Compute(payload);
        if (expected != actual)
        {
            throw new CorruptCheckpointException(path, $"its checksum does not match (stored {expected:x8}, computed {actual:x8})");
        }

        try
        {
            var reader = new DataReader(payload);
            return ReadPayload(ref reader, version);
        }
        catch (Exception e) when (e is SerializationException or OverflowException or ArgumentException)
        {
            // A payload whose checksum matches but whose fields do not (a count beyond 32 bits, a
            // timestamp out of range) is as corrupt as one that fails its checksum.
            throw new CorruptCheckpointException(path, e.Message, e);
        }
    }

    private static void WritePayload(DataWriter w, CheckpointMetadata m, uint version)
    {
        w.WriteVarInt64(m.CheckpointId);
        w.WriteInt64(m.Timestamp.ToUnixTimeMilliseconds());
        w.WriteString(m.JobId);
        w.WriteString(m.JobName);
        w.WriteByte((byte)m.Kind);
        w.WriteVarInt32(m.Operators.Count);
        foreach (var op in m.Operators)
        {
            w.WriteString(op.OperatorUid);
            w.WriteString(op.OperatorName);
            w.WriteVarInt32(op.Parallelism);
            w.WriteVarInt32(op.MaxParallelism);
            w.WriteVarInt32(op.Subtasks.Count);
            foreach (var subtask in op.Subtasks)
            {
                WriteSubtask(w, subtask, version);
            }
        }
    }

    private static void WriteSubtask(DataWriter w, SubtaskStateSnapshot s, uint version)
    {
        w.WriteVarInt32(s.SubtaskIndex);
        w.WriteBoolean(s.KeyedState is not null);
        if (s.KeyedState is { } keyed)
        {
            w.WriteVarInt32(keyed.Range.Start);
            w.WriteVarInt32(keyed.Range.End);
            w.WriteVarInt32(keyed.KeyGroups.Count);
            foreach (var group in keyed.KeyGroups)
            {
                w.WriteVarInt32(group.KeyGroup);
                w.WriteVarInt32(group.Segments.Count);
                foreach (var segment in group.Segments)
                {
                    w.WriteString(segment.Path);
                    w.WriteVarInt64(segment.Offset);
                    w.WriteVarInt64(segment.Length);
                    w.WriteUInt32(segment.Checksum);
                    w.WriteByte((byte)segment.Kind);
                }
            }
        }

        w.WriteVarInt32(s.OperatorState.Count);
        foreach (var state in s.OperatorState)
        {
            w.WriteString(state.Name);
            w.WriteByte((byte)state.Distribution);
            w.WriteVarInt32(state.Items.Count);
            foreach (var item in state.Items)
            {
                w.WriteBytes(item);
            }
        }

        if (version < 2)
        {
            return;
        }

        w.WriteVarInt32(s.ChannelState.Count);
        foreach (var channel in s.ChannelState)
        {
            if (channel.Kind is not (ChannelStateKind.Input or ChannelStateKind.Output))
            {
                throw new ArgumentException($"Channel state of subtask {s.SubtaskIndex} has kind {(byte)channel.Kind}; allowed: Input, Output.", nameof(s));
            }

            w.WriteByte((byte)channel.Kind);
            w.WriteVarInt32(channel.Channel);
            w.WriteString(channel.Path);
            w.WriteVarInt64(channel.Offset);
            w.WriteVarInt64(channel.Length);
            w.WriteUInt32(channel.Checksum);
        }
    }

    private static CheckpointMetadata ReadPayload(ref DataReader r, uint version)
    {
        var id = r.ReadVarInt64();
        var timestamp = DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64());
        var jobId = Required(r.ReadString(), "job id");
        var jobName = Required(r.ReadString(), "job name");
        var kind = (CheckpointKind)r.ReadByte();
        var operators = new OperatorStateSnapshot[Count(ref r)];
        for (var i = 0; i < operators.Length; i++)
        {
            var uid = Required(r.ReadString(), "operator uid");
            var name = Required(r.ReadString(), "operator name");
            var parallelism = r.ReadVarInt32();
            var maxParallelism = r.ReadVarInt32();
            var subtasks = new SubtaskStateSnapshot[Count(ref r)];
            for (var s = 0; s < subtasks.Length; s++)
            {
                subtasks[s] = ReadSubtask(ref r, version);
            }

            operators[i] = new OperatorStateSnapshot(uid, name, parallelism, maxParallelism, subtasks);
        }

        if (!r.End)
        {
            throw new SerializationException($"{r.Remaining} bytes follow the last operator.");
        }

        return new CheckpointMetadata(id, timestamp, jobId, jobName, kind, operators);
    }

    private static SubtaskStateSnapshot ReadSubtask(ref DataReader r, uint version)
    {
        var index = r.ReadVarInt32();
        KeyedStateHandle? keyed = null;
        if (r.ReadBoolean())
        {
            var range = new KeyGroupRange(r.ReadVarInt32(), r.ReadVarInt32());
            var groups = new KeyGroupState[Count(ref r)];
            for (var g = 0; g < groups.Length; g++)
            {
                var keyGroup = r.ReadVarInt32();
                var segments = new StateSegment[Count(ref r)];
                for (var s = 0; s < segments.Length; s++)
                {
                    segments[s] = new StateSegment(Required(r.ReadString(), "state file"), r.ReadVarInt64(), r.ReadVarInt64(), r.ReadUInt32(), (SegmentKind)r.ReadByte());
                }

                groups[g] = new KeyGroupState(keyGroup, segments);
            }

            keyed = new KeyedStateHandle(range, groups);
        }

        var states = new OperatorListStateHandle[Count(ref r)];
        for (var i = 0; i < states.Length; i++)
        {
            var name = Required(r.ReadString(), "operator state name");
            var distribution = (OperatorStateDistribution)r.ReadByte();
            var items = new byte[Count(ref r)][];
            for (var j = 0; j < items.Length; j++)
            {
                items[j] = r.ReadBytes() ?? [];
            }

            states[i] = new OperatorListStateHandle(name, distribution, items);
        }

        var channels = version >= 2 ? new ChannelStateSegment[Count(ref r)] : [];
        for (var i = 0; i < channels.Length; i++)
        {
            var kind = (ChannelStateKind)r.ReadByte();
            if (kind is not (ChannelStateKind.Input or ChannelStateKind.Output))
            {
                throw new SerializationException($"Unknown channel state kind {(byte)kind}.");
            }

            channels[i] = new ChannelStateSegment(kind, r.ReadVarInt32(), Required(r.ReadString(), "channel state file"), r.ReadVarInt64(), r.ReadVarInt64(), r.ReadUInt32());
        }

        return new SubtaskStateSnapshot(index, keyed, states) { ChannelState = channels };
    }

    private static int Count(ref DataReader r)
    {
        var count = r.ReadVarInt32();
        if (count < 0 || count > r.Remaining)
        {
            throw new SerializationException($"A count of {count} at byte {r.Position} exceeds the {r.Remaining} bytes left.");
        }

        return count;
    }

    private static string Required(string? value, string what) =>
        value ?? throw new SerializationException($"The {what} is missing.");
}

/// <summary>A checkpoint file is corrupt or truncated; the message names the file and what is wrong.</summary>
public sealed class CorruptCheckpointException(string path, string problem, Exception? inner = null)
    : Exception($"Checkpoint file '{path}' is corrupt: {problem}.", inner)
{
    /// <summary>The file.</summary>
    public string Path { get; } = path;
}
