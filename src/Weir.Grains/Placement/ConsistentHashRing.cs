using System.Globalization;

namespace Weir.Grains.Placement;

/// <summary>
/// A consistent-hash ring over silos: each silo stands at <c>virtualNodes</c> points (stable
/// hashes of its address and the point's number), and a grain belongs to the silo at the first
/// point at or after the grain's <see cref="GrainId.GetUniformHashCode"/>, wrapping around.
/// Every silo that sees the same set of silos computes the same owner; when a silo joins or
/// leaves, only the grains between its points and their predecessors change owner.
/// Immutable: a change builds a new ring.
/// </summary>
internal sealed class ConsistentHashRing
{
    public static readonly ConsistentHashRing Empty = new([], 1);

    private readonly uint[] _points;
    private readonly SiloAddress[] _owners;

    public ConsistentHashRing(IEnumerable<SiloAddress> silos, int virtualNodes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualNodes, 1);
        Silos = silos.Distinct().Order().ToArray();
        var points = new List<(uint Point, SiloAddress Silo)>(Silos.Count * virtualNodes);
        foreach (var silo in Silos)
        {
            var name = silo.ToString();
            for (var i = 0; i < virtualNodes; i++)
            {
                points.Add((StableHash.Of(name, i.ToString(CultureInfo.InvariantCulture)), silo));
            }
        }

        // Ties (astronomically rare) are broken by silo order, so every silo breaks them alike.
        points.Sort((a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : a.Silo.CompareTo(b.Silo));
        _points = points.Select(p => p.Point).ToArray();
        _owners = points.Select(p => p.Silo).ToArray();
    }

    /// <summary>The silos on the ring, in address order.</summary>
    public IReadOnlyList<SiloAddress> Silos { get; }

    public bool IsEmpty => _points.Length == 0;

    /// <summary>The owner of <paramref name="hash"/>; null on an empty ring.</summary>
    public SiloAddress? OwnerOf(uint hash)
    {
        if (_points.Length == 0)
        {
            return null;
        }

        var index = Array.BinarySearch(_points, hash);
        if (index < 0)
        {
            index = ~index;
        }
        else
        {
            // Several points may share the hash; the first of them owns it.
            while (index > 0 && _points[index - 1] == hash)
            {
                index--;
            }
        }

        return _owners[index == _points.Length ? 0 : index];
    }

    /// <summary>Whether both rings hold the same silos.</summary>
    public bool HasSameSilos(IReadOnlyCollection<SiloAddress> silos) =>
        silos.Count == Silos.Count && silos.All(s => Silos.Contains(s));
}
