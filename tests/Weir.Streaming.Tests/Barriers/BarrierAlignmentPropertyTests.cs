using Weir.Streaming.Barriers;
using static Weir.Streaming.Tests.Barriers.BarrierSimulation;

namespace Weir.Streaming.Tests.Barriers;

/// <summary>
/// Randomized interleavings of records and barriers on several channels, each run from its own
/// seed (a failure names the seed and the channels, so it replays exactly).
/// </summary>
public sealed class BarrierAlignmentPropertyTests
{
    private const int Runs = 10_000;

    [Fact]
    public void The_aligners_snapshot_equals_the_failure_free_reference_cut_in_10000_random_interleavings()
    {
        var triggered = 0;
        for (var seed = 0; seed < Runs; seed++)
        {
            var random = new Random(seed);
            var scenario = Generate(random, endEarly: false);
            var run = Execute(scenario, new BarrierAligner(scenario.Channels.Count), random);

            AssertExactlyOnce(seed, scenario, run);
            triggered += run.Triggered.Count;
        }

        Assert.True(triggered >= Runs, $"only {triggered} checkpoints triggered in {Runs} runs");
    }

    [Fact]
    public void The_aligners_snapshot_equals_the_reference_cut_when_some_channels_end_early()
    {
        var ended = 0;
        for (var seed = 0; seed < Runs; seed++)
        {
            var random = new Random(seed);
            var scenario = Generate(random, endEarly: true);
            var run = Execute(scenario, new BarrierAligner(scenario.Channels.Count), random);

            AssertExactlyOnce(seed, scenario, run);
            ended += scenario.Channels.Count(c => c.Contains(Element.End));
        }

        Assert.True(ended >= Runs / 2, $"only {ended} channels ended early in {Runs} runs");
    }

    [Fact]
    public void With_cancel_markers_the_aligner_triggers_exactly_the_uncancelled_checkpoints_each_at_its_reference_cut()
    {
        var cancelled = 0;
        for (var seed = 0; seed < Runs; seed++)
        {
            var random = new Random(seed);
            var scenario = Generate(random, endEarly: true, cancelProbability: 0.15);
            var run = Execute(scenario, new BarrierAligner(scenario.Channels.Count), random);

            AssertTriggersAtCuts(seed, scenario, run);
            Assert.All(run.Aborted, id => Assert.True(scenario.IsCancelled(id), $"seed {seed}: aborted {id}, which no channel cancelled; {scenario}"));
            cancelled += Enumerable.Range(1, scenario.Checkpoints).Count(id => scenario.IsCancelled(id));
        }

        Assert.True(cancelled >= Runs / 4, $"only {cancelled} checkpoints were cancelled in {Runs} runs");
    }

    [Fact]
    public void The_trackers_snapshot_contains_the_reference_cut_and_triggered_ids_increase_in_10000_random_interleavings()
    {
        for (var seed = 0; seed < Runs; seed++)
        {
            var random = new Random(seed);
            var scenario = Generate(random, endEarly: seed % 2 == 1);
            var run = Execute(scenario, new BarrierTracker(scenario.Channels.Count), random);

            AssertAtLeastOnce(seed, scenario, run);
            Assert.True(run.Aborted.Count == 0, $"seed {seed}: aborted {string.Join(", ", run.Aborted)} without failures; {scenario}");
        }
    }

    [Fact]
    public void With_cancel_markers_the_tracker_triggers_only_uncancelled_checkpoints_in_increasing_order_without_losing_records()
    {
        for (var seed = 0; seed < Runs; seed++)
        {
            var random = new Random(seed);
            var scenario = Generate(random, endEarly: true, cancelProbability: 0.15);
            var run = Execute(scenario, new BarrierTracker(scenario.Channels.Count), random);

            AssertAtLeastOnce(seed, scenario, run);
        }
    }

    [Fact]
    public void The_tracker_includes_records_after_the_barrier_in_some_interleavings_which_is_what_at_least_once_allows()
    {
        var duplicates = 0;
        for (var seed = 0; seed < 1_000; seed++)
        {
            var random = new Random(seed);
            var scenario = Generate(random, endEarly: false);
            var run = Execute(scenario, new BarrierTracker(scenario.Channels.Count), random);
            duplicates += run.Snapshots.Count(s => s.Value.Count > scenario.ReferenceCut(s.Key).Count);
        }

        // Not a requirement, a check that the at-least-once property tests exercise a tracker that does not block.
        Assert.True(duplicates > 0);
    }

    /// <summary>
    /// At-least-once: triggered ids increase, only uncancelled checkpoints trigger, each snapshot
    /// holds its reference cut (no loss), and every checkpoint that should complete triggers or is
    /// subsumed by a newer one that triggered (end of input can complete several at once).
    /// </summary>
    private static void AssertAtLeastOnce(int seed, Scenario scenario, Run run)
    {
        var expected = scenario.ExpectedTriggers();
        for (var i = 1; i < run.Triggered.Count; i++)
        {
            Assert.True(run.Triggered[i] > run.Triggered[i - 1], $"seed {seed}: triggered [{string.Join(", ", run.Triggered)}] do not increase; {scenario}");
        }

        Assert.All(run.Triggered, id => Assert.True(expected.Contains(id), $"seed {seed}: triggered {id}, which was cancelled or never sent; {scenario}"));
        Assert.All(expected, id => Assert.True(run.Triggered.Any(t => t >= id), $"seed {seed}: checkpoint {id} neither triggered nor was subsumed by a newer trigger; triggered [{string.Join(", ", run.Triggered)}]; {scenario}"));
        foreach (var (id, snapshot) in run.Snapshots)
        {
            var cut = scenario.ReferenceCut(id);
            Assert.True(snapshot.IsSupersetOf(cut), $"seed {seed}: snapshot {id} lost [{string.Join(", ", cut.Except(snapshot))}] of its reference cut; {scenario}");
        }
    }

    private static void AssertExactlyOnce(int seed, Scenario scenario, Run run)
    {
        AssertTriggersAtCuts(seed, scenario, run);
        Assert.True(run.Aborted.Count == 0, $"seed {seed}: aborted {string.Join(", ", run.Aborted)} without failures; {scenario}");
    }

    private static void AssertTriggersAtCuts(int seed, Scenario scenario, Run run)
    {
        var expected = scenario.ExpectedTriggers();
        Assert.True(
            expected.SequenceEqual(run.Triggered),
            $"seed {seed}: triggered [{string.Join(", ", run.Triggered)}], expected [{string.Join(", ", expected)}] in increasing order; {scenario}");
        foreach (var (id, snapshot) in run.Snapshots)
        {
            var cut = scenario.ReferenceCut(id);
            Assert.True(
                snapshot.SetEquals(cut),
                $"seed {seed}: snapshot {id} has {snapshot.Count} records, the reference cut {cut.Count}; extra [{string.Join(", ", snapshot.Except(cut))}], missing [{string.Join(", ", cut.Except(snapshot))}]; {scenario}");
        }
    }
}
