namespace Weir.Grains;

/// <summary>Marker for grain interfaces. Every method returns <see cref="Task"/>, <see cref="Task{T}"/>, <see cref="ValueTask"/> or <see cref="ValueTask{T}"/>.</summary>
public interface IGrain
{
}

/// <summary>A grain interface whose grains are keyed by a string.</summary>
public interface IGrainWithStringKey : IGrain
{
}

/// <summary>A grain interface whose grains are keyed by a 64-bit integer.</summary>
public interface IGrainWithIntegerKey : IGrain
{
}

/// <summary>Implemented by every grain reference: the id of the grain it addresses.</summary>
public interface IGrainReference
{
    /// <summary>The id of the referenced grain.</summary>
    GrainId GrainId { get; }
}

/// <summary>Extensions on grain references.</summary>
public static class GrainReferenceExtensions
{
    /// <summary>The id of the grain a reference (or a grain) addresses.</summary>
    public static GrainId GetGrainId(this IGrain grain) => grain switch
    {
        IGrainReference reference => reference.GrainId,
        IGrainIdentity g => g.GrainId,
        _ => throw new ArgumentException($"{grain.GetType()} is neither a grain reference nor a grain.", nameof(grain)),
    };
}

/// <summary>Implemented by grain classes (<c>Grain</c>), so <see cref="GrainReferenceExtensions.GetGrainId"/> finds their id.</summary>
internal interface IGrainIdentity
{
    GrainId GrainId { get; }
}
