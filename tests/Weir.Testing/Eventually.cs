namespace Weir.Testing;

/// <summary>Awaiting helpers that fail loudly instead of hanging.</summary>
public static class Eventually
{
    /// <summary>The default bound on waiting for something that should happen promptly.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Awaits <paramref name="task"/>, failing with <paramref name="what"/> if it takes longer than <paramref name="timeout"/>.</summary>
    public static async Task<T> Within<T>(this Task<T> task, string what, TimeSpan? timeout = null)
    {
        await ((Task)task).Within(what, timeout);
        return await task;
    }

    /// <summary>Awaits <paramref name="task"/>, failing with <paramref name="what"/> if it takes longer than <paramref name="timeout"/>.</summary>
    public static async Task Within(this Task task, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var cancel = new CancellationTokenSource();
        if (await Task.WhenAny(task, Task.Delay(limit, cancel.Token)) != task)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for: {what}");
        }

        cancel.Cancel();
        await task;
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds (for conditions no event announces,
    /// such as another thread's bookkeeping), failing with <paramref name="what"/> after the timeout.
    /// </summary>
    public static async Task Until(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var started = DateTime.UtcNow;
        while (!condition())
        {
            if (DateTime.UtcNow - started > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting until: {what}");
            }

            await Task.Delay(5);
        }
    }
}
