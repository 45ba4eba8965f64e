namespace Weir.Checkpointing.Metadata;

/// <summary>
/// A contiguous range of key groups <c>[Start, End)</c>. Subtask <c>i</c> of <c>p</c> with max
/// parallelism <c>M</c> owns <c>[ceil(i*M/p), ceil((i+1)*M/p))</c>, so a restore at another
/// parallelism moves whole key groups.
/// </summary>
public readonly record struct KeyGroupRange(int Start, int End)
{
    /// <summary>The empty range.</summary>
    public static readonly KeyGroupRange Empty = new(0, 0);

    /// <summary>Number of key groups in the range.</summary>
    public int Count => Math.Max(0, End - Start);

    /// <summary>True if the range has no key group.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>True if <paramref name="keyGroup"/> is in the range.</summary>
    public bool Contains(int keyGroup) => keyGroup >= Start && keyGroup < End;

    /// <summary>The key groups both ranges hold.</summary>
    public KeyGroupRange Intersect(KeyGroupRange other)
    {
        var start = Math.Max(Start, other.Start);
        var end = Math.Min(End, other.End);
        return start < end ? new KeyGroupRange(start, end) : Empty;
    }

    /// <summary>The range subtask <paramref name="subtask"/> of <paramref name="parallelism"/> owns.</summary>
    public static KeyGroupRange ForSubtask(int maxParallelism, int parallelism, int subtask)
    {
        if (parallelism < 1 || parallelism > maxParallelism)
        {
            throw new ArgumentOutOfRangeException(nameof(parallelism), parallelism, $"Parallelism must be between 1 and the max parallelism {maxParallelism}.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(subtask);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(subtask, parallelism);
        var start = (int)((((long)subtask * maxParallelism) + parallelism - 1) / parallelism);
        var end = (int)((((long)(subtask + 1) * maxParallelism) + parallelism - 1) / parallelism);
        return new KeyGroupRange(start, end);
    }

    /// <summary>The subtask of <paramref name="parallelism"/> that owns <paramref name="keyGroup"/>: the inverse of <see cref="ForSubtask"/>.</summary>
    public static int SubtaskFor(int keyGroup, int maxParallelism, int parallelism) => (int)((long)keyGroup * parallelism / maxParallelism);

    /// <inheritdoc />
    public override string ToString() => $"[{Start}, {End})";
}
