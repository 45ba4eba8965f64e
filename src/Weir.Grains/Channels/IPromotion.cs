namespace Weir.Grains.Channels;

/// <summary>
/// Which ordinary items of an <see cref="OrderedChannel{T}"/> may turn into priority items while
/// they wait in it, and when: an aligned checkpoint barrier that waited past its alignment timeout
/// overtakes the records queued before it (Flink's <c>aligned-checkpoint-timeout</c>). The channel
/// asks only about the items <see cref="MayPromote"/> picked when they were written, and only when
/// its consumer reads, so a channel without such items pays one count check per read.
/// </summary>
/// <typeparam name="T">The channel's item type.</typeparam>
public interface IPromotion<T>
{
    /// <summary>True if <paramref name="item"/>, written as an ordinary item, may later overtake the items before it.</summary>
    bool MayPromote(T item);

    /// <summary>True once <paramref name="item"/> (picked by <see cref="MayPromote"/>) should overtake them. Runs under the channel's lock.</summary>
    bool IsDue(T item);

    /// <summary>The priority item <paramref name="item"/> becomes, from the ordinary items it overtakes, oldest first. Runs under the channel's lock: it should only wrap them.</summary>
    T Promote(T item, T[] overtaken);
}
