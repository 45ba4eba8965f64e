using Weir.Streaming.Barriers;

namespace Weir.Streaming.Tests.Barriers;

/// <summary>
/// A tiny model of a task's input: k channels, each a FIFO queue of records, barriers (or cancel
/// markers) and possibly end of input, fed to a barrier handler by a seeded random scheduler.
/// Like <c>InputGate</c>, the scheduler only reads channels the handler does not block; blocked
/// channels keep their elements queued. When the handler triggers checkpoint n, the set of records
/// processed so far is recorded as snapshot n.
/// </summary>
internal static class BarrierSimulation
{
    /// <summary>Generates the channels of one run.</summary>
    /// <param name="random">The seeded source of every choice.</param>
    /// <param name="endEarly">Some channels end before their last barriers.</param>
    /// <param name="cancelProbability">Probability that a channel carries a cancel marker instead of a barrier.</param>
    public static Scenario Generate(Random random, bool endEarly, double cancelProbability = 0)
    {
        var channelCount = random.Next(2, 6);
        var checkpoints = random.Next(1, 5);
        var channels = new List<Element>[channelCount];
        for (var c = 0; c < channelCount; c++)
        {
            var elements = new List<Element>();
            var seq = 0;
            void Records()
            {
                for (var n = random.Next(0, 5); n > 0; n--)
                {
                    elements.Add(Element.Record(c, seq++));
                }
            }

            // A channel that ends early carries the checkpoints 1..last only.
            var last = endEarly && random.Next(2) == 0 ? random.Next(0, checkpoints + 1) : checkpoints;
            Records();
            for (var id = 1L; id <= last; id++)
            {
                elements.Add(random.NextDouble() < cancelProbability ? Element.Cancel(id) : Element.Barrier(id));
                Records();
            }

            if (endEarly && last < checkpoints)
            {
                elements.Add(Element.End);
            }
            else if (endEarly && random.Next(3) == 0)
            {
                elements.Add(Element.End);
            }

            channels[c] = elements;
        }

        return new Scenario(channels, checkpoints);
    }

    /// <summary>Feeds the scenario to <paramref name="handler"/> in an order <paramref name="random"/> picks among readable channels.</summary>
    public static Run Execute(Scenario scenario, IBarrierHandler handler, Random random)
    {
        var queues = scenario.Channels.Select(c => new Queue<Element>(c)).ToArray();
        var finished = new bool[queues.Length];
        var processed = new HashSet<int>();
        var run = new Run();
        var readable = new List<int>(queues.Length);
        while (true)
        {
            readable.Clear();
            for (var c = 0; c < queues.Length; c++)
            {
                if (!finished[c] && !handler.IsBlocked(c) && queues[c].Count > 0)
                {
                    readable.Add(c);
                }
            }

            if (readable.Count == 0)
            {
                var stuck = Enumerable.Range(0, queues.Length).Where(c => queues[c].Count > 0).ToArray();
                if (stuck.Length > 0)
                {
                    throw new InvalidOperationException($"Deadlock: channels {string.Join(", ", stuck)} still hold elements but are blocked.");
                }

                return run;
            }

            var channel = readable[random.Next(readable.Count)];
            var element = queues[channel].Dequeue();
            BarrierDecision decision;
            switch (element.Kind)
            {
                case ElementKind.Record:
                    processed.Add(element.Value);
                    continue;
                case ElementKind.Barrier:
                    decision = handler.OnBarrier(channel, element.Value);
                    break;
                case ElementKind.Cancel:
                    decision = handler.OnCancelMarker(element.Value);
                    break;
                default:
                    finished[channel] = true;
                    decision = handler.OnEndOfInput(channel);
                    break;
            }

            if (decision.AbortedCheckpoint is { } aborted)
            {
                run.Aborted.Add(aborted);
            }

            if (decision.TriggeredCheckpoint is { } triggered)
            {
                run.Triggered.Add(triggered);
                run.Snapshots[triggered] = [.. processed];
            }
        }
    }

    internal enum ElementKind
    {
        Record,
        Barrier,
        Cancel,
        End,
    }

    internal readonly record struct Element(ElementKind Kind, int Value)
    {
        public static readonly Element End = new(ElementKind.End, 0);

        public static Element Record(int channel, int seq) => new(ElementKind.Record, (channel * 10_000) + seq);

        public static Element Barrier(long id) => new(ElementKind.Barrier, (int)id);

        public static Element Cancel(long id) => new(ElementKind.Cancel, (int)id);
    }

    internal sealed record Scenario(IReadOnlyList<List<Element>> Channels, int Checkpoints)
    {
        /// <summary>
        /// The failure-free reference cut of checkpoint n: on every channel that carries barrier n,
        /// the records before it; on a channel that ended before n, all its records.
        /// </summary>
        public HashSet<int> ReferenceCut(long checkpointId)
        {
            var cut = new HashSet<int>();
            foreach (var channel in Channels)
            {
                foreach (var element in channel)
                {
                    if (element.Kind is ElementKind.Barrier or ElementKind.Cancel && element.Value == checkpointId)
                    {
                        break;
                    }

                    if (element.Kind == ElementKind.Record)
                    {
                        cut.Add(element.Value);
                    }
                }
            }

            return cut;
        }

        /// <summary>Checkpoint n completes in a failure-free run iff some channel carries barrier n and none cancels it.</summary>
        public IReadOnlyList<long> ExpectedTriggers() =>
            Enumerable.Range(1, Checkpoints).Select(i => (long)i)
                .Where(id => Channels.Any(c => c.Contains(Element.Barrier(id))) && !Channels.Any(c => c.Contains(Element.Cancel(id))))
                .ToArray();

        public bool IsCancelled(long checkpointId) => Channels.Any(c => c.Contains(Element.Cancel(checkpointId)));

        public override string ToString() =>
            string.Join(" | ", Channels.Select(c => string.Join(' ', c.Select(e => e.Kind switch
            {
                ElementKind.Record => "r",
                ElementKind.Barrier => $"B{e.Value}",
                ElementKind.Cancel => $"C{e.Value}",
                _ => "EOI",
            }))));
    }

    internal sealed class Run
    {
        public List<long> Triggered { get; } = [];

        public List<long> Aborted { get; } = [];

        public Dictionary<long, HashSet<int>> Snapshots { get; } = [];
    }
}
