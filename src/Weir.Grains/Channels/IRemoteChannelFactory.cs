using Weir.Serialization;

namespace Weir.Grains.Channels;

/// <summary>
/// Cross-silo channels: a producer on one silo feeds an <see cref="OrderedChannel{T}"/> on another
/// with the same contract as in one process: FIFO, one credit per element, the producer writes
/// only while it holds credit that the consumer's side announced, control elements in band, and
/// priority elements (unaligned checkpoints' barriers) that need no credit and overtake the
/// elements buffered at the consumer. Elements are encoded with a codec
/// (<see cref="ISerializer{T}"/>) only on their way between silos. Either side may open first:
/// elements flow once both have.
/// </summary>
public interface IRemoteChannelFactory
{
    /// <summary>
    /// Opens the producing end of <paramref name="id"/> on this silo, feeding the consuming end on
    /// <paramref name="targetSilo"/> (which opens it with <see cref="OpenReader{T}"/>). The writer
    /// starts without credit; its producer signal fires when the consumer's credit arrives.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="targetSilo"/> is this silo: use a local <see cref="OrderedChannel{T}"/>.</exception>
    RemoteChannelWriter<T> OpenWriter<T>(RemoteChannelId id, SiloAddress targetSilo, ISerializer<T> codec);

    /// <summary>
    /// Opens the consuming end of <paramref name="id"/> on this silo: a local
    /// <see cref="OrderedChannel{T}"/> of <paramref name="capacity"/> elements that the remote
    /// producer feeds. Opening an id twice returns the same reader. <paramref name="overtaking"/>,
    /// if given, is the reader's <see cref="RemoteChannelReader{T}.Overtaking"/> from the start,
    /// before any producer can bind; <paramref name="promotion"/>, if given, promotes the elements
    /// buffered here (see <see cref="IPromotion{T}"/>; only the first open of an id sets it).
    /// </summary>
    /// <exception cref="InvalidOperationException">The id is open with another element type.</exception>
    RemoteChannelReader<T> OpenReader<T>(RemoteChannelId id, ISerializer<T> codec, int capacity, Func<T, T[], T>? overtaking = null, IPromotion<T>? promotion = null);

    /// <summary>Closes the consuming end of <paramref name="id"/>: its producer's writer faults; elements still buffered are dropped. False if it was not open.</summary>
    bool CloseReader(RemoteChannelId id);
}
