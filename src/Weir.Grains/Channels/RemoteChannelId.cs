namespace Weir.Grains.Channels;

/// <summary>
/// Names a cross-silo channel; producer and consumer use the same id. The caller chooses the
/// format (e.g. <c>job/attempt/edge/from/to</c>); a new job attempt should use new ids, so that
/// nothing of a failed attempt reaches the next one.
/// </summary>
public readonly record struct RemoteChannelId
{
    /// <summary>The longest id, in characters.</summary>
    public const int MaxLength = 512;

    /// <summary>Creates an id.</summary>
    /// <exception cref="ArgumentException">The value is empty or longer than <see cref="MaxLength"/>.</exception>
    public RemoteChannelId(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length is 0 or > MaxLength)
        {
            throw new ArgumentException($"A channel id must have 1 to {MaxLength} characters; '{(value.Length > 64 ? value[..64] + "..." : value)}' has {value.Length}.", nameof(value));
        }

        Value = value;
    }

    /// <summary>The id.</summary>
    public string Value { get; }

    /// <inheritdoc />
    public override string ToString() => Value;
}
