using Weir.Checkpointing.Configuration.Parsing;
using K = Weir.Checkpointing.Configuration.ConfigurationKeys;

namespace Weir.Checkpointing.Configuration;

/// <summary>Parallelism, chaining, watermarks and buffering of a job's dataflow. Immutable; validated by <see cref="WeirOptions.Parse(Microsoft.Extensions.Configuration.IConfiguration)"/>.</summary>
public sealed class PipelineOptions
{
    /// <summary>The largest <see cref="MaxParallelism"/>: key groups are numbered in 15 bits, as in Flink.</summary>
    public const int UpperBoundMaxParallelism = 32768;

    /// <summary>
    /// The number of key groups, and so the most subtasks a keyed operator can be rescaled to
    /// (<c>pipeline.max-parallelism</c>). Default 128; 1 to 32768. Changing it makes existing
    /// checkpoints unrestorable.
    /// </summary>
    public int MaxParallelism { get; init; } = 128;

    /// <summary>The parallelism of operators that do not set their own (<c>parallelism.default</c>). Default 1; 1 to <see cref="MaxParallelism"/>.</summary>
    public int DefaultParallelism { get; init; } = 1;

    /// <summary>Whether forward-connected operators of equal parallelism run as one chain in one subtask (<c>pipeline.operator-chaining.enabled</c>). Default true.</summary>
    public bool OperatorChaining { get; init; } = true;

    /// <summary>How often periodic watermarks are emitted (<c>pipeline.auto-watermark-interval</c>); 0 disables them. Default 200 ms.</summary>
    public TimeSpan AutoWatermarkInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long an output batch may wait to fill before it is sent anyway (<c>execution.buffer-timeout</c>). Default 100 ms; 0 sends every record at once.</summary>
    public TimeSpan BufferTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    internal static PipelineOptions Read(SettingReader reader)
    {
        var defaults = new PipelineOptions();
        var options = new PipelineOptions
        {
            MaxParallelism = reader.Integer(K.MaxParallelism, defaults.MaxParallelism, minimum: 1, maximum: UpperBoundMaxParallelism),
            DefaultParallelism = reader.Integer(K.DefaultParallelism, defaults.DefaultParallelism, minimum: 1),
            OperatorChaining = reader.Boolean(K.OperatorChaining, defaults.OperatorChaining),
            AutoWatermarkInterval = reader.Duration(K.AutoWatermarkInterval, defaults.AutoWatermarkInterval, TimeSpan.Zero),
            BufferTimeout = reader.Duration(K.BufferTimeout, defaults.BufferTimeout, TimeSpan.Zero),
        };

        // Each subtask owns at least one key group: blame the key the user set.
        if (options.DefaultParallelism > options.MaxParallelism)
        {
            if (reader.IsSet(K.DefaultParallelism))
            {
                reader.Fail(K.DefaultParallelism, $"expected an integer from 1 to {K.MaxParallelism} ({options.MaxParallelism})");
            }
            else
            {
                reader.Fail(K.MaxParallelism, $"expected an integer from {K.DefaultParallelism} ({options.DefaultParallelism}) to {UpperBoundMaxParallelism}");
            }
        }

        return options;
    }

    internal IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        yield return new(K.MaxParallelism, SettingFormat.Of(MaxParallelism));
        yield return new(K.DefaultParallelism, SettingFormat.Of(DefaultParallelism));
        yield return new(K.OperatorChaining, SettingFormat.Of(OperatorChaining));
        yield return new(K.AutoWatermarkInterval, SettingFormat.Of(AutoWatermarkInterval));
        yield return new(K.BufferTimeout, SettingFormat.Of(BufferTimeout));
    }
}
