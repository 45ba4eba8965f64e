using Weir.Storage.InMemory;

namespace Weir.Storage.Tests;

public sealed class InMemoryCheckpointStoreTests : CheckpointStoreConformance
{
    private readonly ManualTimeProvider _clock = new();

    protected override Task<ICheckpointStore> CreateStoreAsync() => Task.FromResult<ICheckpointStore>(new InMemoryCheckpointStore(_clock));

    [Fact]
    public Task An_expired_lease_can_be_taken_over() =>
        AssertAnExpiredLeaseCanBeTakenOverAsync(elapsed =>
        {
            _clock.Advance(elapsed);
            return Task.CompletedTask;
        });

    [Fact]
    public async Task A_lease_renewed_in_time_does_not_expire()
    {
        await using var lease = await Store.AcquireLeaseAsync(LeasePath, LeaseDuration);
        for (var i = 0; i < 5; i++)
        {
            _clock.Advance(LeaseDuration / 2);
            await lease.RenewAsync();
        }

        await Assert.ThrowsAsync<CheckpointLeaseException>(() => Store.AcquireLeaseAsync(LeasePath, LeaseDuration));
    }
}
