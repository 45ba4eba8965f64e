namespace Weir.Jobs;

/// <summary>Where an injected failure is thrown.</summary>
public enum FailurePoint
{
    /// <summary>While processing a record.</summary>
    Process,

    /// <summary>In the synchronous part of a checkpoint.</summary>
    Snapshot,

    /// <summary>While a subtask restores its state after a restart.</summary>
    Restore,

    /// <summary>While a subtask closes its operators at the end of its input.</summary>
    Close,
}

/// <summary>
/// Throws <see cref="InjectedFailureException"/> in a random subtask on a period, alternating
/// between record processing, snapshot and restore. A restore failure needs a restore, so that
/// turn first fails a subtask in processing and then fails the restore that follows: two
/// failures. Operators call <see cref="Check"/> at their failure points; it is cheap when nothing is armed.
/// </summary>
public sealed class FailureInjector(IReadOnlyList<(string Uid, int Parallelism)> targets, int seed)
{
    private readonly object _lock = new();
    private readonly Random _random = new(seed);
    private readonly List<Armed> _armed = [];
    private volatile bool _anyArmed;
    private int _injected;
    private int _turn;

    /// <summary>Failures thrown so far.</summary>
    public int Injected => Volatile.Read(ref _injected);

    /// <summary>Arms one failure per <paramref name="period"/> until disposed.</summary>
    public IAsyncDisposable Start(TimeSpan period, TimeProvider clock) => clock.CreateTimer(_ => ArmNext(), null, period, period);

    /// <summary>Arms the next failure of the rotation.</summary>
    public void ArmNext()
    {
        lock (_lock)
        {
            var point = (FailurePoint)(_turn++ % 3);
            var (uid, parallelism) = targets[_random.Next(targets.Count)];
            var subtask = _random.Next(parallelism);
            if (point == FailurePoint.Restore)
            {
                _armed.Add(new Armed(FailurePoint.Process, uid, subtask, 0));
            }

            _armed.Add(new Armed(point, uid, subtask, 0));
            _anyArmed = true;
        }
    }

    /// <summary>
    /// Arms a failure at a given point and subtask, active once that subtask has taken
    /// <paramref name="afterCheckpoints"/> more snapshots (failures "at a set checkpoint count").
    /// </summary>
    public void Arm(FailurePoint point, string uid, int subtask, int afterCheckpoints = 0)
    {
        lock (_lock)
        {
            _armed.Add(new Armed(point, uid, subtask, afterCheckpoints));
            _anyArmed = true;
        }
    }

    /// <summary>Throws if a failure is armed for this point and subtask. Restore failures fire only when <paramref name="restoring"/>.</summary>
    public void Check(FailurePoint point, string uid, int subtask, bool restoring = false)
    {
        if (!_anyArmed || (point == FailurePoint.Restore && !restoring))
        {
            return;
        }

        lock (_lock)
        {
            var index = _armed.FindIndex(a => a.Point == point && a.Uid == uid && a.Subtask == subtask && a.Remaining == 0);
            var waitsForProcessFailure = point == FailurePoint.Restore && _armed.Any(a => a.Point == FailurePoint.Process && a.Uid == uid && a.Subtask == subtask);
            if (index < 0 || waitsForProcessFailure)
            {
                if (point == FailurePoint.Snapshot)
                {
                    // This snapshot passes: armed failures of the subtask are one checkpoint closer.
                    foreach (var armed in _armed.Where(a => a.Uid == uid && a.Subtask == subtask && a.Remaining > 0))
                    {
                        armed.Remaining--;
                    }
                }

                return;
            }

            _armed.RemoveAt(index);
            _anyArmed = _armed.Count > 0;
            _injected++;
        }

        throw new InjectedFailureException($"Injected failure #{Injected} at {point} in {uid}#{subtask}.");
    }
}

internal sealed class Armed(FailurePoint point, string uid, int subtask, int remaining)
{
    public FailurePoint Point { get; } = point;

    public string Uid { get; } = uid;

    public int Subtask { get; } = subtask;

    /// <summary>Snapshots of the subtask still to pass before the failure is live.</summary>
    public int Remaining { get; set; } = remaining;
}

/// <summary>A failure thrown on purpose by <see cref="FailureInjector"/>.</summary>
public sealed class InjectedFailureException(string message) : Exception(message);
