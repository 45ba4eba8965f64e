using Weir.Storage.InMemory;

namespace Weir.Storage.Tests;

public sealed class InMemoryCheckpointStoreTests : CheckpointStoreConformance
{
    protected override Task<ICheckpointStore> CreateStoreAsync() => Task.FromResult<ICheckpointStore>(new InMemoryCheckpointStore());
}
