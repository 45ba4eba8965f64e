using Microsoft.Extensions.Logging;
using Weir.Grains.Hosting;

namespace Weir.Grains.Membership;

/// <summary>Asks a silo directly whether it is alive.</summary>
internal interface ISiloProber
{
    /// <summary>True if <paramref name="silo"/> answered; false (or an exception) if not. Gives up when <paramref name="cancellationToken"/> fires.</summary>
    Task<bool> ProbeAsync(SiloAddress silo, CancellationToken cancellationToken);
}

/// <summary>
/// Probes other active silos every <see cref="ClusterOptions.ProbePeriod"/>: the
/// <see cref="ClusterOptions.NumProbedSilos"/> that follow this one in address order (so each
/// silo is watched by as many others). A probe unanswered within
/// <see cref="ClusterOptions.ProbeTimeout"/> is missed; <see cref="ClusterOptions.NumMissedProbesLimit"/>
/// misses in a row make this silo vote the silent one dead, again after every further miss
/// until the votes declare it dead or it answers.
/// </summary>
internal sealed class SiloHealthMonitor(MembershipAgent agent, ISiloProber prober, ClusterOptions options, TimeProvider clock, ILogger logger) : IDisposable
{
    private readonly Dictionary<SiloAddress, int> _missed = [];
    private ITimer? _timer;
    private int _roundRunning;
    private volatile bool _stopped;

    /// <summary>Misses in a row per monitored silo (for tests and diagnostics).</summary>
    public IReadOnlyDictionary<SiloAddress, int> MissedProbes
    {
        get
        {
            lock (_missed)
            {
                return new Dictionary<SiloAddress, int>(_missed);
            }
        }
    }

    /// <summary>The silos <paramref name="self"/> monitors: the active ones after it in address order, wrapping, at most <paramref name="count"/>.</summary>
    public static IReadOnlyList<SiloAddress> ChooseTargets(IReadOnlyList<SiloAddress> activeSilos, SiloAddress self, int count)
    {
        var others = activeSilos.Where(s => !s.Equals(self)).Order().ToList();
        var after = others.FindIndex(s => s.CompareTo(self) > 0);
        if (after > 0)
        {
            others = [.. others.Skip(after), .. others.Take(after)];
        }

        return others.Take(count).ToList();
    }

    public void Start() => _timer = clock.CreateTimer(_ => StartRound(), null, options.ProbePeriod, options.ProbePeriod);

    /// <summary>Probes every monitored silo once and votes for those that missed too many.</summary>
    public async Task ProbeRoundAsync(CancellationToken cancellationToken = default)
    {
        var self = agent.LocalSilo;
        var snapshot = agent.Snapshot;
        if (_stopped || self is null || snapshot.StatusOf(self) != SiloStatus.Active)
        {
            return;
        }

        var targets = ChooseTargets(snapshot.ActiveSilos, self, options.NumProbedSilos);
        var results = await Task.WhenAll(targets.Select(t => ProbeAsync(t, cancellationToken))).ConfigureAwait(false);
        var suspects = new List<(SiloAddress Silo, int Missed)>();
        lock (_missed)
        {
            foreach (var (target, answered) in results)
            {
                if (answered)
                {
                    _missed.Remove(target);
                    continue;
                }

                var missed = _missed[target] = _missed.GetValueOrDefault(target) + 1;
                if (missed >= options.NumMissedProbesLimit)
                {
                    suspects.Add((target, missed));
                }
            }

            foreach (var gone in _missed.Keys.Where(k => !targets.Contains(k)).ToList())
            {
                _missed.Remove(gone);
            }
        }

        foreach (var (suspect, missed) in suspects)
        {
            MembershipLog.Suspecting(logger, suspect, missed);
            try
            {
                await agent.TrySuspectOrKillAsync(suspect, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                MembershipLog.OperationFailed(logger, exception, $"vote against {suspect}");
            }
        }
    }

    public void Stop()
    {
        _stopped = true;
        _timer?.Dispose();
    }

    public void Dispose() => Stop();

    private void StartRound()
    {
        if (_stopped || Interlocked.CompareExchange(ref _roundRunning, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await ProbeRoundAsync().ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                MembershipLog.OperationFailed(logger, exception, "probe round");
            }
            finally
            {
                Volatile.Write(ref _roundRunning, 0);
            }
        });
    }

    private async Task<(SiloAddress Silo, bool Answered)> ProbeAsync(SiloAddress silo, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ProbeTimeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return (silo, await prober.ProbeAsync(silo, linked.Token).ConfigureAwait(false));
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return (silo, false);
        }
    }
}
