using Weir.Grains;

namespace Weir.Cluster.TestSilo;

/// <summary>A grain that says which silo (and process) runs it.</summary>
public interface IProcessGrain : IGrainWithStringKey
{
    /// <summary>The silo address of the activation.</summary>
    Task<string> WhereAsync();

    /// <summary>The process id of the activation.</summary>
    Task<int> ProcessIdAsync();
}

/// <summary>The implementation, loaded by the test process's silos as well.</summary>
public sealed class ProcessGrain(ILocalSiloDetails silo) : Grain, IProcessGrain
{
    /// <inheritdoc />
    public Task<string> WhereAsync() => Task.FromResult(silo.SiloAddress.ToString());

    /// <inheritdoc />
    public Task<int> ProcessIdAsync() => Task.FromResult(Environment.ProcessId);
}
