using System.Text;
using Weir.Hosting.Jobs;
using Weir.Jobs;
using Weir.Storage;
using Weir.Storage.InMemory;

namespace Weir.Hosting.Tests;

/// <summary>What a job submitted by name carries (id, parameters, the persisted record): bad values are named, never a bare parse error.</summary>
public sealed class JobSpecTests
{
    [Fact]
    public void Parameters_round_trip_through_a_spec()
    {
        var parameters = new JobParameters(Parallelism: 3, RecordsPerSecond: 1.5, FailEvery: TimeSpan.FromSeconds(2), Seed: 7, Partitions: 6);
        Assert.Equal(parameters, JobParameters.From(parameters.ToDictionary()));
    }

    [Theory]
    [InlineData("parallelism", "two", "Job parameter parallelism = 'two' is not a whole number")]
    [InlineData("rate", "fast", "Job parameter rate = 'fast' is not a number")]
    [InlineData("fail-every", "often", "Job parameter fail-every = 'often' is not a duration")]
    [InlineData("paralelism", "2", "Job parameter 'paralelism' is unknown; the parameters are parallelism, rate, fail-every, seed, partitions")]
    public void A_bad_parameter_is_named(string key, string value, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => JobParameters.From(new Dictionary<string, string> { [key] = value }));
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("")]
    public void A_job_id_that_is_not_one_directory_is_refused(string jobId) =>
        Assert.Throws<ArgumentException>(() => JobSpec.ValidateId(jobId, "jobId"));

    [Fact]
    public async Task A_job_record_missing_its_spec_fields_is_named_as_incomplete()
    {
        var store = new InMemoryCheckpointStore();
        await store.WriteAsync($"job/{JobSpecStore.FileName}", Encoding.UTF8.GetBytes("""{"spec":{"jobId":"job"},"running":true,"attempt":1}"""), WriteMode.CreateOnly);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => JobSpecStore.LoadAsync(store, "job"));
        Assert.Contains("is not a complete job record", error.Message);
    }
}
