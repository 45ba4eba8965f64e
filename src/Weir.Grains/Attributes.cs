namespace Weir.Grains;

/// <summary>
/// Lets the turns of a grain class interleave: a new call may start while another awaits.
/// Turns still never run in parallel; they only interleave at <c>await</c> points.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class ReentrantAttribute : Attribute
{
}

/// <summary>
/// Lets calls to one grain interface method start whenever the activation is active, even while
/// another call's turn awaits, in a grain class that is not <see cref="ReentrantAttribute"/> (Orleans'
/// <c>[AlwaysInterleave]</c>); and such a call, while it awaits, does not hold back the others.
/// For methods that only read, or that must answer while a long call holds the grain (a status
/// query). Turns still never run in parallel; they only interleave at <c>await</c> points.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true)]
public sealed class AlwaysInterleaveAttribute : Attribute
{
}

/// <summary>Names the grain type of a class (the <c>type</c> in <c>type/key</c>). Defaults to the class name without a trailing "Grain", lower-cased.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class GrainTypeAttribute(string name) : Attribute
{
    /// <summary>The grain type name.</summary>
    public string Name { get; } = name;
}

/// <summary>Overrides the silo's collection age for one grain class: how long an activation may stay idle before it is deactivated.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class CollectionAgeLimitAttribute : Attribute
{
    /// <summary>The age in minutes.</summary>
    public double Minutes { get; init; }

    /// <summary>The age in seconds, added to <see cref="Minutes"/>.</summary>
    public double Seconds { get; init; }

    internal TimeSpan Age => TimeSpan.FromMinutes(Minutes) + TimeSpan.FromSeconds(Seconds);
}
