using Microsoft.Extensions.Logging;
using Weir.Checkpointing.Coordinator;
using Weir.Checkpointing.Metadata;
using Weir.Grains;
using Weir.Grains.Mailbox;
using Weir.Hosting.Channels;
using Weir.Hosting.Jobs;
using Weir.Hosting.Storage;
using Weir.Streaming.Tasks;

namespace Weir.Hosting.Grains;

/// <summary>
/// Hosts one <see cref="StreamTask"/>: grain calls are its mail, and a <see cref="MailboxProcessor"/>
/// runs its default action (process input) between them, so a backpressured subtask still
/// answers checkpoint triggers and cancels. Implements the task's port to the job master and
/// the coordinator; calls out are fire-and-forget, so grains never wait on each other in a cycle.
/// </summary>
internal sealed partial class SubtaskGrain(
    JobRegistry jobs,
    ChannelRegistry channels,
    ICheckpointStoreFactory stores,
    IGrainLocator locator,
    ILogger<SubtaskGrain> logger) : Grain, ISubtaskGrain, ITaskHost
{
    private StreamTask? _task;
    private MailboxProcessor? _mailbox;
    private TaskDeployment? _deployment;
    private SynchronizationContext? _context;

    private TaskKey Key => new(_deployment!.VertexId, _deployment.SubtaskIndex);

    TimeProvider ITaskHost.Clock => TimeProvider;

    public async Task DeployAsync(TaskDeployment deployment, TaskPlacement placement)
    {
        StopCurrent();
        _deployment = deployment;
        _context = SynchronizationContext.Current;
        var submission = await jobs.GetAsync(deployment.JobId, deployment.Attempt);
        var graph = submission.Graph;
        var vertex = graph.Vertex(deployment.VertexId);
        var index = deployment.SubtaskIndex;
        SiloAddress? RemoteSiloOf(TaskKey task) => placement.SiloOf(task) is { } silo && !silo.Equals(locator.LocalSilo) ? silo : null;

        var inputs = vertex.Inputs
            .SelectMany(edge =>
            {
                // One encoding per edge, for its cross-silo channels and any channel state: a codec holds no state.
                var codec = edge.CreateCodec();
                return edge.SourcesOf(index).Select(from => (Edge: edge, From: from, Codec: codec));
            })
            .Select(input =>
            {
                var (edge, from, codec) = input;
                var key = new ChannelKey(deployment.JobId, deployment.Attempt, edge.Id, from, index);
                var channel = RemoteSiloOf(new TaskKey(edge.Source.Id, from)) is not null ? channels.RemoteInput(key, codec) : channels.Input(key);
                if (channel is IFaultingChannel faulting)
                {
                    // The producer's silo is gone: the attempt cannot go on.
                    faulting.SetFaultListener(exception => ((ITaskHost)this).Post(() => FailFromChannel(deployment.Attempt, exception)));
                }

                return new InputBinding(channel, edge.TargetInput) { Codec = codec };
            })
            .ToArray();
        var outputs = vertex.Outputs.ToDictionary(
            edge => edge.Id,
            edge => edge.TargetsOf(index).Select(to =>
            {
                var key = new ChannelKey(deployment.JobId, deployment.Attempt, edge.Id, index, to);
                return RemoteSiloOf(new TaskKey(edge.Target.Id, to)) is { } consumer
                    ? channels.RemoteOutput(key, consumer, edge.CreateCodec())
                    : channels.Output(key);
            }).ToArray());

        var store = stores.Open(submission.Options.Checkpointing.Directory);
        var restoreStore = deployment.RestoreLocation is { } location ? stores.Open(location) : store;
        var task = new StreamTask(deployment, graph, inputs, outputs, this, store, restoreStore);
        _task = task;
        DelayDeactivation(Timeout.InfiniteTimeSpan);
        try
        {
            await task.InitializeAsync();
        }
        catch (Exception exception)
        {
            Log.DeployFailed(logger, exception, task.Name);
            ((ITaskHost)this).ReportFailure(exception);
            return;
        }

        _mailbox = new MailboxProcessor(this, () => task.RunDefaultAction() ? DefaultActionResult.MoreAvailable : DefaultActionResult.Suspend);
        _mailbox.Resume();
        Log.Deployed(logger, task.Name, deployment.JobId, deployment.Attempt);
    }

    public Task TriggerCheckpointAsync(int attempt, long checkpointId, DateTimeOffset timestamp, CheckpointKind kind)
    {
        if (Current(attempt) is { } task)
        {
            task.TriggerCheckpoint(checkpointId, timestamp, kind);
        }

        return Task.CompletedTask;
    }

    public Task NotifyCheckpointCompleteAsync(int attempt, long checkpointId)
    {
        Current(attempt)?.NotifyCheckpointComplete(checkpointId);
        return Task.CompletedTask;
    }

    public Task NotifyCheckpointAbortedAsync(int attempt, long checkpointId)
    {
        Current(attempt)?.NotifyCheckpointAborted(checkpointId);
        return Task.CompletedTask;
    }

    public Task CancelAsync(int attempt)
    {
        if (_deployment?.Attempt == attempt)
        {
            StopCurrent();
            DeactivateOnIdle();
        }

        // The attempt's channels on this silo go with it (the job master's silo drops its own).
        channels.RemoveAttempt(JobGrainKeys.JobOfSubtask(GetPrimaryKeyString()), attempt);
        return Task.CompletedTask;
    }

    public Task<SubtaskMetrics> GetMetricsAsync() => Task.FromResult(_task is null || _deployment is null
        ? new SubtaskMetrics(new TaskKey(string.Empty, -1), -1, TaskState.Created, 0, 0)
        : new SubtaskMetrics(Key, _deployment.Attempt, _task.State, _task.RecordsIn, _task.RecordsOut));

    void ITaskHost.RequestDefaultAction() => _mailbox?.Resume();

    void ITaskHost.Post(Action action) => (_context ?? throw new InvalidOperationException("The subtask is not deployed.")).Post(static a => ((Action)a!)(), action);

    IDisposable ITaskHost.Schedule(TimeSpan delay, Action action)
    {
        // A timer of an earlier attempt must not run into the next one.
        var task = _task;
        return RegisterGrainTimer(
            _ =>
            {
                if (ReferenceEquals(task, _task))
                {
                    action();
                }

                return Task.CompletedTask;
            },
            delay,
            Timeout.InfiniteTimeSpan);
    }

    void ITaskHost.AcknowledgeCheckpoint(long checkpointId, TaskCheckpointAck ack)
    {
        var deployment = _deployment!;
        Forget(GrainFactory.GetGrain<ICheckpointCoordinatorGrain>(deployment.JobId).AcknowledgeAsync(deployment.Attempt, Key, checkpointId, ack), "acknowledge checkpoint");
    }

    void ITaskHost.DeclineCheckpoint(long checkpointId, string reason, bool alignmentAborted)
    {
        var deployment = _deployment!;
        Forget(GrainFactory.GetGrain<ICheckpointCoordinatorGrain>(deployment.JobId).DeclineAsync(deployment.Attempt, Key, checkpointId, reason, alignmentAborted), "decline checkpoint");
    }

    void ITaskHost.ReportFailure(Exception exception)
    {
        var deployment = _deployment!;
        Log.TaskFailed(logger, exception, _task?.Name ?? Key.ToString(), deployment.Attempt);
        var unrecoverable = exception is Weir.Checkpointing.Metadata.CorruptCheckpointException or Weir.Checkpointing.Recovery.CheckpointMismatchException;
        Forget(GrainFactory.GetGrain<IJobMasterGrain>(deployment.JobId).TaskFailedAsync(deployment.Attempt, Key, exception.GetType().Name, exception.Message, unrecoverable), "report failure");
    }

    void ITaskHost.ReportFinished()
    {
        var deployment = _deployment!;
        Forget(GrainFactory.GetGrain<IJobMasterGrain>(deployment.JobId).TaskFinishedAsync(deployment.Attempt, Key), "report finished");
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        StopCurrent();
        return Task.CompletedTask;
    }

    private StreamTask? Current(int attempt) => _deployment?.Attempt == attempt ? _task : null;

    private void FailFromChannel(int attempt, Exception exception)
    {
        if (Current(attempt) is null)
        {
            return;
        }

        StopCurrent();
        ((ITaskHost)this).ReportFailure(exception);
    }

    private void StopCurrent()
    {
        _mailbox?.Stop();
        _mailbox = null;
        _task?.Cancel();
        _task = null;
    }

    private void Forget(Task call, string what) =>
        call.ContinueWith(
            t => Log.CallFailed(logger, t.Exception!.GetBaseException(), what, Key.ToString()),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Warning, "Subtask {Task} failed in attempt {Attempt}")]
        public static partial void TaskFailed(ILogger logger, Exception exception, string task, int attempt);

        [LoggerMessage(301, LogLevel.Warning, "Deploying subtask {Task} failed")]
        public static partial void DeployFailed(ILogger logger, Exception exception, string task);

        [LoggerMessage(303, LogLevel.Information, "Subtask {Task} of job {JobId} attempt {Attempt} deployed on this silo")]
        public static partial void Deployed(ILogger logger, string task, string jobId, int attempt);

        [LoggerMessage(302, LogLevel.Warning, "Could not {What} from subtask {Task}")]
        public static partial void CallFailed(ILogger logger, Exception exception, string what, string task);
    }
}
