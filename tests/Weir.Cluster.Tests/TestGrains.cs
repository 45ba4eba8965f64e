using Weir.Grains;
using Weir.Grains.Invocation;

namespace Weir.Cluster.Tests;

/// <summary>A record with read-only collections: what job grains pass between silos (through the JSON fallback).</summary>
public sealed record Payload(string Name, IReadOnlyList<int> Values, IReadOnlyDictionary<string, long> Counts, DateTimeOffset At);

/// <summary>Thrown by grain code; loaded on both sides, with a message constructor: rebuilt as itself.</summary>
public sealed class OrderRejectedException(string message) : Exception(message);

/// <summary>Thrown by grain code; no message constructor: the caller gets a GrainCallException naming it.</summary>
public sealed class OpaqueFailureException : Exception
{
    public OpaqueFailureException(int code)
        : base($"opaque failure {code}")
    {
    }
}

public interface IEchoGrain : IGrainWithStringKey
{
    Task<string> EchoAsync(string text);

    /// <summary>The silo this activation runs on.</summary>
    Task<string> WhereAsync();

    Task ThrowAsync(string kind, string message);

    Task<Payload> RoundTripAsync(Payload payload);

    ValueTask<int> AddAsync(int a, int b);

    /// <summary>Calls another echo grain (grain to grain, perhaps across silos) and returns where it ran.</summary>
    Task<string> CallOtherAsync(string otherKey);

    /// <summary>Answers after <paramref name="milliseconds"/>: longer than its 300 ms timeout makes the caller time out.</summary>
    [ResponseTimeout(0.3)]
    Task SlowAsync(int milliseconds);

    /// <summary>Answers after <paramref name="milliseconds"/> (within the silo's timeout).</summary>
    Task<string> WaitAsync(int milliseconds);
}

public sealed class EchoGrain(ILocalSiloDetails silo) : Grain, IEchoGrain
{
    public Task<string> EchoAsync(string text) => Task.FromResult($"{GetPrimaryKeyString()}:{text}");

    public Task<string> WhereAsync() => Task.FromResult(silo.SiloAddress.ToString());

    public Task ThrowAsync(string kind, string message) => kind switch
    {
        "invalid" => throw new InvalidOperationException(message),
        "argument-null" => throw new ArgumentNullException("param", message),
        "rejected" => throw new OrderRejectedException(message),
        _ => throw new OpaqueFailureException(42),
    };

    public Task<Payload> RoundTripAsync(Payload payload) => Task.FromResult(payload with { Name = payload.Name + "!" });

    public ValueTask<int> AddAsync(int a, int b) => ValueTask.FromResult(a + b);

    public Task<string> CallOtherAsync(string otherKey) => GrainFactory.GetGrain<IEchoGrain>(otherKey).WhereAsync();

    public Task SlowAsync(int milliseconds) => Task.Delay(TimeSpan.FromMilliseconds(milliseconds), TimeProvider);

    public async Task<string> WaitAsync(int milliseconds)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(milliseconds), TimeProvider);
        return silo.SiloAddress.ToString();
    }
}
