using System.Text;
using Weir.Streaming.Output;

namespace Weir.Streaming.Graph;

/// <summary>
/// Turns the transformations of the DataStream API into a <see cref="JobGraph"/>: resolves
/// parallelism and uids, validates (each failure names the operator and the rule), and chains
/// operators that can run in one subtask: a forward edge between operators of equal parallelism,
/// the only output of the upstream and the only input of the downstream.
/// </summary>
internal static class JobGraphBuilder
{
    public static JobGraph Build(string jobName, IReadOnlyList<Transformation> transformations, int defaultParallelism, int maxParallelism, bool chaining)
    {
        if (string.IsNullOrWhiteSpace(jobName))
        {
            throw new JobGraphException("A job needs a name.");
        }

        if (maxParallelism is < 1 or > 32768)
        {
            throw new JobGraphException($"Max parallelism {maxParallelism} is not allowed: it must be between 1 and 32768 (pipeline.max-parallelism).");
        }

        if (transformations.Count == 0)
        {
            throw new JobGraphException($"Job '{jobName}' has no operators: add a source and a sink.");
        }

        var ordered = TopologicalOrder(transformations);
        var parallelism = ordered.ToDictionary(t => t, t => t.Parallelism ?? defaultParallelism);
        Validate(jobName, ordered, parallelism, maxParallelism);
        AssignUids(ordered);

        var consumers = ordered.ToDictionary(t => t, _ => new List<(Transformation Target, InputEdge Edge)>());
        foreach (var target in ordered)
        {
            foreach (var edge in target.Inputs)
            {
                consumers[edge.Source].Add((target, edge));
            }
        }

        bool ChainsToInput(Transformation t) =>
            chaining && t.ChainingAllowed && !t.IsSource && t.Inputs.Count == 1 && t.Inputs[0].Tag is null
            && t.Inputs[0].Resolve(parallelism[t.Inputs[0].Source], parallelism[t]) == Partitioning.Forward
            && parallelism[t.Inputs[0].Source] == parallelism[t]
            && consumers[t.Inputs[0].Source].Count == 1
            && !t.Inputs[0].Source.IsSink;

        var vertexOf = new Dictionary<Transformation, JobVertex>();
        var vertices = new List<JobVertex>();
        foreach (var head in ordered.Where(t => !ChainsToInput(t)))
        {
            var chain = new List<Transformation> { head };
            while (consumers[chain[^1]] is [var (next, _)] && ChainsToInput(next))
            {
                chain.Add(next);
            }

            var vertex = new JobVertex(chain, parallelism[head], maxParallelism);
            vertices.Add(vertex);
            foreach (var t in chain)
            {
                vertexOf[t] = vertex;
            }
        }

        var edges = new List<JobEdge>();
        foreach (var vertex in vertices)
        {
            foreach (var input in vertex.Chain[0].Inputs)
            {
                var source = vertexOf[input.Source];
                var partitioning = input.Resolve(source.Parallelism, vertex.Parallelism);
                var edge = new JobEdge(edges.Count, source, vertex, partitioning, input.InputIndex, input.KeyGroupSelectorFactory, input.Tag);
                edges.Add(edge);
                source.Outputs.Add(edge);
                vertex.Inputs.Add(edge);
            }
        }

        return new JobGraph(jobName, maxParallelism, vertices, edges);
    }

    /// <summary>Kahn's algorithm; a transformation left over sits on a cycle.</summary>
    private static List<Transformation> TopologicalOrder(IReadOnlyList<Transformation> transformations)
    {
        var known = transformations.ToHashSet();
        foreach (var t in transformations)
        {
            foreach (var edge in t.Inputs.Where(e => !known.Contains(e.Source)))
            {
                throw new JobGraphException($"Operator {t} reads from operator {edge.Source}, which is not part of this job.");
            }
        }

        var remainingInputs = transformations.ToDictionary(t => t, t => t.Inputs.Count);
        var ready = new Queue<Transformation>(transformations.Where(t => t.Inputs.Count == 0).OrderBy(t => t.Id));
        var ordered = new List<Transformation>();
        while (ready.TryDequeue(out var t))
        {
            ordered.Add(t);
            foreach (var consumer in transformations.Where(c => c.Inputs.Any(e => e.Source == t)).OrderBy(c => c.Id))
            {
                remainingInputs[consumer] -= consumer.Inputs.Count(e => e.Source == t);
                if (remainingInputs[consumer] == 0)
                {
                    ready.Enqueue(consumer);
                }
            }
        }

        if (ordered.Count < transformations.Count)
        {
            // Left over are the operators on a cycle and those downstream of one: drop the latter
            // (repeatedly, those no left-over operator reads from) so the message names the cycle.
            var left = transformations.Where(t => remainingInputs[t] > 0).ToHashSet();
            Transformation[] unread;
            do
            {
                unread = [.. left.Where(t => !left.Any(c => c.Inputs.Any(e => e.Source == t)))];
                left.ExceptWith(unread);
            }
            while (unread.Length > 0);

            var cyclic = transformations.Where(left.Contains).Select(t => t.ToString());
            throw new JobGraphException($"The job graph has a cycle through operators {string.Join(", ", cyclic)}: a dataflow must be acyclic.");
        }

        return ordered;
    }

    private static void Validate(string jobName, List<Transformation> ordered, Dictionary<Transformation, int> parallelism, int maxParallelism)
    {
        if (!ordered.Any(t => t.IsSource))
        {
            throw new JobGraphException($"Job '{jobName}' has no source.");
        }

        foreach (var t in ordered)
        {
            var p = parallelism[t];
            if (p < 1)
            {
                throw new JobGraphException($"Operator {t} has parallelism {p}: it must be at least 1.");
            }

            if (p > maxParallelism)
            {
                throw new JobGraphException($"Operator {t} has parallelism {p}, above the max parallelism {maxParallelism} (pipeline.max-parallelism): there would be subtasks without key groups.");
            }

            if (!t.IsSource && t.Inputs.Count == 0)
            {
                throw new JobGraphException($"Operator {t} has no input.");
            }

            foreach (var edge in t.Inputs)
            {
                if (t.IsKeyed && edge.Partitioning != Partitioning.Hash)
                {
                    throw new JobGraphException($"Operator {t} uses keyed state, but its input from {edge.Source} is not keyed: call KeyBy(...) before it.");
                }

                if (edge.Partitioning == Partitioning.Forward && parallelism[edge.Source] != p)
                {
                    throw new JobGraphException($"Operator {t} (parallelism {p}) has a forward input from {edge.Source} (parallelism {parallelism[edge.Source]}): forward partitioning needs equal parallelism; use Rebalance().");
                }
            }
        }
    }

    private static void AssignUids(List<Transformation> ordered)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in ordered.Where(t => t.Uid is not null))
        {
            if (!used.Add(t.Uid!))
            {
                throw new JobGraphException($"Uid '{t.Uid}' is used by more than one operator: a uid identifies one operator's state in checkpoints.");
            }
        }

        foreach (var t in ordered.Where(t => t.Uid is null))
        {
            var slug = Slug(t.Name);
            var uid = slug;
            for (var n = 2; !used.Add(uid); n++)
            {
                uid = $"{slug}-{n}";
            }

            t.Uid = uid;
        }
    }

    private static string Slug(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                builder.Append(c);
            }
            else if (builder.Length > 0 && builder[^1] != '-')
            {
                builder.Append('-');
            }
        }

        var slug = builder.ToString().Trim('-');
        return slug.Length == 0 ? "operator" : slug;
    }
}
