namespace Weir.Streaming.Timers;

/// <summary>
/// Keyed timers (Flink's TimerService): timers belong to the key of the record being processed;
/// an event-time timer fires when the watermark reaches its timestamp, a processing-time timer
/// when the clock does. Timers are keyed state: checkpointed, restored, and moved with their key
/// group when parallelism changes. Registering the same timestamp twice for a key keeps one timer.
/// </summary>
public interface ITimerService
{
    /// <summary>The operator's current watermark (milliseconds; <see cref="long.MinValue"/> before the first).</summary>
    long CurrentWatermark { get; }

    /// <summary>The clock's time, in epoch milliseconds.</summary>
    long CurrentProcessingTime { get; }

    /// <summary>Fires when the watermark reaches <paramref name="timestamp"/>.</summary>
    void RegisterEventTimeTimer(long timestamp);

    /// <summary>Removes an event-time timer of the current key.</summary>
    void DeleteEventTimeTimer(long timestamp);

    /// <summary>Fires when the clock reaches <paramref name="timestamp"/> (epoch milliseconds).</summary>
    void RegisterProcessingTimeTimer(long timestamp);

    /// <summary>Removes a processing-time timer of the current key.</summary>
    void DeleteProcessingTimeTimer(long timestamp);
}

/// <summary>Which clock a timer follows.</summary>
public enum TimeDomain
{
    /// <summary>The watermark.</summary>
    EventTime,

    /// <summary>The wall clock.</summary>
    ProcessingTime,
}
