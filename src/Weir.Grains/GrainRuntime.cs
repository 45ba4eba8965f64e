using Microsoft.Extensions.Logging;
using Weir.Grains.Activation;
using Weir.Grains.Hosting;
using Weir.Grains.Invocation;

namespace Weir.Grains;

/// <summary>
/// The silo's runtime core: the catalog of activations, message delivery, and the two sweeps
/// that keep it healthy (call timeouts and idle collection). Hosting starts and stops it.
/// </summary>
internal sealed class GrainRuntime : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly ActivationCollector _collector;
    private readonly CallTimeoutWatcher _timeouts;
    private volatile RuntimeStatus _status = RuntimeStatus.Created;

    public GrainRuntime(IServiceProvider services, SiloOptions options, GrainTypeRegistry registry, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        Services = services;
        Options = options;
        Registry = registry;
        TimeProvider = timeProvider;
        Log = new RuntimeLog(loggerFactory.CreateLogger("Weir.Grains.Runtime"));
        Catalog = new Catalog(this);
        GrainFactory = new GrainFactory(this);
        _collector = new ActivationCollector(this);
        _timeouts = new CallTimeoutWatcher(this);
    }

    public IServiceProvider Services { get; }

    public SiloOptions Options { get; }

    public GrainTypeRegistry Registry { get; }

    public TimeProvider TimeProvider { get; }

    public RuntimeLog Log { get; }

    public Catalog Catalog { get; }

    public IGrainFactory GrainFactory { get; }

    public CancellationToken StoppingToken => _stopping.Token;

    public void Start()
    {
        _status = RuntimeStatus.Running;
        _collector.Start();
        _timeouts.Start();
        Log.SiloStarted(Options.SiloName, Registry.Classes.Count);
    }

    /// <summary>Deactivates every activation; no new activation is created meanwhile.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_status is RuntimeStatus.Stopping or RuntimeStatus.Stopped)
        {
            return;
        }

        _status = RuntimeStatus.Stopping;
        var activations = Catalog.Activations.ToArray();
        Log.SiloStopping(Options.SiloName, activations.Length);
        foreach (var activation in activations)
        {
            activation.RequestDeactivation(DeactivationReason.ShuttingDown);
        }

        try
        {
            await Task.WhenAll(activations.Select(a => a.Deactivated)).WaitAsync(cancellationToken);
        }
        finally
        {
            _status = RuntimeStatus.Stopped;
            _stopping.Cancel();
            _collector.Dispose();
            _timeouts.Dispose();
            Log.SiloStopped(Options.SiloName);
        }
    }

    /// <summary>Puts a new message into the activation of its grain; returns that activation for the reference to remember.</summary>
    public ActivationData? Deliver(GrainId grainId, GrainClass grainClass, Message message)
    {
        while (true)
        {
            ActivationData activation;
            try
            {
                activation = Catalog.GetOrCreate(grainId, grainClass);
            }
            catch (SiloUnavailableException exception)
            {
                message.Fail(exception);
                return null;
            }

            if (activation.TryEnqueue(message))
            {
                return activation;
            }
        }
    }

    /// <summary>Moves a message queued at a deactivated activation on to the next one.</summary>
    public void Redeliver(GrainId grainId, GrainClass grainClass, Message message) => Deliver(grainId, grainClass, message);

    public void ThrowIfNotAcceptingActivations(GrainId grainId)
    {
        if (_status is RuntimeStatus.Stopping or RuntimeStatus.Stopped)
        {
            throw new SiloUnavailableException($"Silo '{Options.SiloName}' is shutting down: grain {grainId} cannot be activated.");
        }
    }

    public CallDeadline DeadlineFor(GrainMethodInvoker method)
    {
        var timeout = method.Timeout ?? Options.ResponseTimeout;
        return new CallDeadline(TimeProvider.GetTimestamp() + (long)(timeout.TotalSeconds * TimeProvider.TimestampFrequency), timeout);
    }

    public static TimeoutException TimeoutFor(GrainId grainId, Message message) =>
        new($"The call {message.Describe()} to grain {grainId} got no answer within {message.Deadline.Timeout.TotalMilliseconds:0} ms.");

    public void Dispose()
    {
        _collector.Dispose();
        _timeouts.Dispose();
        _stopping.Dispose();
    }

    private enum RuntimeStatus
    {
        Created,
        Running,
        Stopping,
        Stopped,
    }
}

/// <summary>A call could not be delivered because the silo is shutting down or has stopped.</summary>
public sealed class SiloUnavailableException(string message) : Exception(message);
