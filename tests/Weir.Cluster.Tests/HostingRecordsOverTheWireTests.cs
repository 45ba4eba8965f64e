using System.Text.Json;
using Weir.Checkpointing.Configuration;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Checkpointing.Recovery;
using Weir.Grains.Invocation;
using Weir.Hosting.Grains;
using Weir.Serialization;
using Weir.Streaming.Tasks;

namespace Weir.Cluster.Tests;

/// <summary>
/// The records Weir.Hosting's grains pass (deployments, acknowledgements, checkpoint metadata)
/// survive the encoding of a cross-silo call: through the serializers of the grain methods that
/// carry them (the System.Text.Json fallback for records and read-only collections).
/// </summary>
public sealed class HostingRecordsOverTheWireTests
{
    [Fact]
    public void EveryMethodOfTheJobGrainsHasADistinctWireId()
    {
        var interfaces = new[] { typeof(IJobMasterGrain), typeof(ICheckpointCoordinatorGrain), typeof(ISubtaskGrain) };

        var byId = GrainMethod.ById(interfaces);

        Assert.Equal(interfaces.Sum(i => i.GetMethods().Length), byId.Count);
    }

    [Fact]
    public void ATaskDeploymentWithRestoreStateRoundTrips()
    {
        var range = new KeyGroupRange(0, 64);
        var deployment = new TaskDeployment(
            "job", 3, "map", 1, CheckpointingMode.ExactlyOnce, 7,
            new Dictionary<string, OperatorRestoreState>
            {
                ["uid-1"] = new(range, [new KeyGroupState(5, [new StateSegment("shared/a", 0, 10, 0xABCDEF01, SegmentKind.Full)])], new Dictionary<string, IReadOnlyList<byte[]>> { ["offsets"] = [[1, 2, 3]] })
                {
                    ChannelState = [new ChannelStateSegment(ChannelStateKind.Output, 3, "chk-7/uid-1-1-channels-x", 40, 50, 0x12345678)],
                },
            },
            null,
            TaskOptions.Default)
        { Changelog = new ChangelogOptions(TimeSpan.FromMinutes(1), 8, RestoredStateOwned: true), Unaligned = true, AlignedCheckpointTimeout = TimeSpan.FromMilliseconds(250) };

        var back = RoundTripArgument(typeof(ISubtaskGrain), nameof(ISubtaskGrain.DeployAsync), deployment);

        Assert.Equal(Json(deployment), Json(back));
        Assert.Equal(0xABCDEF01u, back.RestoreState!["uid-1"].KeyGroups[0].Segments[0].Checksum);
        Assert.True(back.Unaligned);
        Assert.Equal(TimeSpan.FromMilliseconds(250), back.AlignedCheckpointTimeout);
        Assert.Equal(new ChannelStateSegment(ChannelStateKind.Output, 3, "chk-7/uid-1-1-channels-x", 40, 50, 0x12345678), Assert.Single(back.RestoreState["uid-1"].ChannelState));
    }

    [Fact]
    public void AnAcknowledgementRoundTrips()
    {
        var ack = new TaskCheckpointAck(
            new Dictionary<string, SubtaskStateSnapshot>
            {
                ["uid-1"] = new(2, new KeyedStateHandle(new KeyGroupRange(64, 128), [new KeyGroupState(70, [new StateSegment("chk-4/f", 5, 6, 7, SegmentKind.Delta)])]), [new OperatorListStateHandle("offsets", OperatorStateDistribution.Union, [[9, 9]])])
                {
                    ChannelState = [new ChannelStateSegment(ChannelStateKind.Input, 1, "chk-4/uid-1-2-channels-y", 0, 99, 0xFEEDBEEF)],
                },
            },
            TimeSpan.FromMilliseconds(3),
            TimeSpan.FromMilliseconds(40),
            EndsStream: true);

        var back = RoundTripArgument(typeof(ICheckpointCoordinatorGrain), nameof(ICheckpointCoordinatorGrain.AcknowledgeAsync), ack, argumentIndex: 3);
        Assert.True(back.EndsStream);

        Assert.Equal(Json(ack), Json(back));
        Assert.Equal(SegmentKind.Delta, back.OperatorStates["uid-1"].KeyedState!.KeyGroups[0].Segments[0].Kind);
        Assert.Equal(0xFEEDBEEFu, Assert.Single(back.OperatorStates["uid-1"].ChannelState).Checksum);
    }

    [Fact]
    public void CheckpointMetadataRoundTrips()
    {
        var metadata = new CheckpointMetadata(
            9, DateTimeOffset.UnixEpoch.AddHours(5), "job", "word count", CheckpointKind.Savepoint,
            [new OperatorStateSnapshot("uid-1", "count", 2, 128, [new SubtaskStateSnapshot(0, null, [])])]);

        var writer = new DataWriter();
        ValueCodec.For(typeof(CheckpointMetadata)).WriteBoxed(writer, metadata);
        var reader = new DataReader(writer.WrittenSpan);
        var back = (CheckpointMetadata)ValueCodec.For(typeof(CheckpointMetadata)).ReadBoxed(ref reader)!;

        Assert.Equal(Json(metadata), Json(back));
    }

    [Fact]
    public void CheckpointStatisticsRoundTrip()
    {
        var stats = new CheckpointStats(12, 2, 14, TimeSpan.FromMilliseconds(75), 4_096, 61.5, 480.25, 49_152, CompletedWithRecordsInFlight: 3);

        var writer = new DataWriter();
        ValueCodec.For(typeof(CheckpointStats)).WriteBoxed(writer, stats);
        var reader = new DataReader(writer.WrittenSpan);

        Assert.Equal(stats, ValueCodec.For(typeof(CheckpointStats)).ReadBoxed(ref reader));
    }

    private static T RoundTripArgument<T>(Type grainInterface, string methodName, T value, int argumentIndex = 0)
    {
        var method = GrainMethod.For(grainInterface.GetMethod(methodName)!);
        var arguments = method.Method.GetParameters().Select(p => p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null).ToArray();
        arguments[argumentIndex] = value;
        if (method.Method.GetParameters().FirstOrDefault(p => p.ParameterType == typeof(TaskKey)) is { } taskKey)
        {
            arguments[taskKey.Position] = new TaskKey("map", 1);
        }

        var writer = new DataWriter();
        method.WriteArguments(writer, arguments);
        return (T)method.ReadArguments(writer.WrittenSpan)[argumentIndex]!;
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);
}
