using Microsoft.Extensions.Logging.Abstractions;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Storage;
using Weir.Storage.InMemory;

namespace Weir.Checkpointing.Tests.Coordinator;

/// <summary>
/// A coordinator of a two-vertex job (source x1 -> map x2) over an in-memory store, a manual
/// clock and a recording gateway. Each acknowledgement writes a real state file under chk-n/,
/// so retention and discards can be checked against the store.
/// </summary>
internal sealed class CoordinatorHarness
{
    public const string JobId = "job-1";

    public static readonly TaskKey Source = new("source", 0);
    public static readonly TaskKey Map0 = new("map", 0);
    public static readonly TaskKey Map1 = new("map", 1);
    public static readonly TaskKey[] AllTasks = [Source, Map0, Map1];

    public static readonly CoordinatorSettings DefaultSettings = new(
        Interval: TimeSpan.FromSeconds(10),
        Timeout: TimeSpan.FromMinutes(1),
        MinPause: TimeSpan.Zero,
        MaxConcurrentCheckpoints: 1,
        TolerableFailedCheckpoints: 0,
        NumRetained: 1);

    public CoordinatorHarness(CoordinatorSettings? settings = null, long firstCheckpointId = 1, bool start = true)
    {
        Memory = new InMemoryCheckpointStore(Clock);
        Store = new FaultInjectingStore(Memory);
        Coordinator = new CheckpointCoordinator(settings ?? DefaultSettings, Store, Gateway, Clock, NullLogger.Instance);
        if (start)
        {
            Coordinator.Start(Plan, firstCheckpointId);
        }
    }

    public ManualTimeProvider Clock { get; } = new();

    public InMemoryCheckpointStore Memory { get; }

    public FaultInjectingStore Store { get; }

    public RecordingGateway Gateway { get; } = new();

    public CheckpointCoordinator Coordinator { get; }

    public static CoordinatorPlan Plan { get; } = new(
        JobId,
        "test job",
        new Dictionary<string, OperatorDescriptor>
        {
            ["source"] = new("source", "Source", 1, 128),
            ["map"] = new("map", "Map", 2, 128),
        },
        [Source],
        AllTasks);

    public static string MetadataPath(long id) => CheckpointLayout.MetadataPath(JobId, id);

    public static string StateFile(TaskKey task, long id) => $"{CheckpointLayout.CheckpointDirectory(JobId, id)}/{task.VertexId}-{task.Subtask}";

    /// <summary>Writes the task's state file for checkpoint <paramref name="id"/> and returns an ack naming it.</summary>
    public async Task<TaskCheckpointAck> WriteStateAsync(TaskKey task, long id)
    {
        var path = StateFile(task, id);
        byte[] bytes = [1, 2, 3, (byte)task.Subtask];
        await Memory.WriteAsync(path, bytes, WriteMode.CreateOnly);
        var range = new KeyGroupRange(task.Subtask * 64, (task.Subtask + 1) * 64);
        var keyed = new KeyedStateHandle(range, [new KeyGroupState(range.Start, [new StateSegment(path, 0, bytes.Length, 0, SegmentKind.Full)])]);
        return new TaskCheckpointAck(
            new Dictionary<string, SubtaskStateSnapshot> { [task.VertexId] = new(task.Subtask, keyed, []) },
            TimeSpan.FromMilliseconds(1),
            TimeSpan.FromMilliseconds(2));
    }

    public async Task AckAsync(TaskKey task, long id) => await Coordinator.ReceiveAcknowledgeAsync(task, id, await WriteStateAsync(task, id));

    public async Task AckAllAsync(long id)
    {
        foreach (var task in AllTasks)
        {
            await AckAsync(task, id);
        }
    }

    public async Task<long> TriggerAsync() =>
        await Coordinator.TriggerAsync(CheckpointKind.Checkpoint) ?? throw new InvalidOperationException("The coordinator did not trigger.");

    public async Task<long> CompleteCheckpointAsync()
    {
        var id = await TriggerAsync();
        await AckAllAsync(id);
        return id;
    }

    public async Task<bool> ExistsAsync(string path) => await Memory.GetFileAsync(path) is not null;

    public async Task<List<string>> FilesUnderAsync(string directory)
    {
        var files = new List<string>();
        await foreach (var file in Memory.ListFilesAsync(directory))
        {
            files.Add(file.Path);
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }
}
