namespace Weir.Streaming.Tasks;

/// <summary>
/// Combines the watermarks of a task's input channels: the task's watermark is the minimum over
/// active channels and only ever advances. An idle or finished channel does not hold it back
/// (Flink's StatusWatermarkValve).
/// </summary>
internal sealed class WatermarkValve
{
    private readonly long[] _watermarks;
    private readonly bool[] _idle;
    private long _emitted = long.MinValue;

    public WatermarkValve(int channels)
    {
        _watermarks = new long[channels];
        _idle = new bool[channels];
        Array.Fill(_watermarks, long.MinValue);
    }

    public long Current => _emitted;

    /// <summary>True when every channel that has not ended is idle.</summary>
    public bool AllIdle
    {
        get
        {
            var any = false;
            for (var i = 0; i < _idle.Length; i++)
            {
                if (_watermarks[i] == long.MaxValue)
                {
                    continue;
                }

                any = true;
                if (!_idle[i])
                {
                    return false;
                }
            }

            return any;
        }
    }

    /// <summary>A watermark arrived; returns the new combined watermark if it advanced.</summary>
    public long? OnWatermark(int channel, long timestamp)
    {
        if (timestamp > _watermarks[channel])
        {
            _watermarks[channel] = timestamp;
        }

        _idle[channel] = false;
        return Advance();
    }

    /// <summary>A channel became idle or active again.</summary>
    public long? OnStatus(int channel, bool idle)
    {
        _idle[channel] = idle;
        return Advance();
    }

    /// <summary>A channel ended: it no longer holds the watermark back.</summary>
    public long? OnEndOfInput(int channel)
    {
        _watermarks[channel] = long.MaxValue;
        _idle[channel] = false;
        return Advance();
    }

    private long? Advance()
    {
        var min = long.MaxValue;
        var anyActive = false;
        for (var i = 0; i < _watermarks.Length; i++)
        {
            if (_idle[i])
            {
                continue;
            }

            anyActive = true;
            min = Math.Min(min, _watermarks[i]);
        }

        if (!anyActive || min <= _emitted || min == long.MinValue)
        {
            return null;
        }

        _emitted = min;
        return min;
    }
}
