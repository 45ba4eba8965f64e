using Weir.Checkpointing.Coordinator;

namespace Weir.Checkpointing.Tests.Coordinator;

public sealed class CheckpointFailureManagerTests
{
    public static TheoryData<CheckpointFailureReason> CountingReasons =>
        [CheckpointFailureReason.Expired, CheckpointFailureReason.DeclinedByTask, CheckpointFailureReason.FinalizeFailed, CheckpointFailureReason.AlignmentAborted];

    public static TheoryData<CheckpointFailureReason> NormalOperationReasons =>
        [CheckpointFailureReason.Subsumed, CheckpointFailureReason.JobRestarting, CheckpointFailureReason.JobStopping, CheckpointFailureReason.TriggerFailed];

    [Theory]
    [MemberData(nameof(CountingReasons))]
    public void Failures_that_say_something_about_the_jobs_health_count(CheckpointFailureReason reason)
    {
        var failures = new CheckpointFailureManager(tolerableFailures: 5);

        Assert.Equal(FailureVerdict.Tolerated, failures.OnFailure(1, reason));
        Assert.Equal(1, failures.ContinuousFailures);
    }

    [Theory]
    [MemberData(nameof(NormalOperationReasons))]
    public void Aborts_that_are_part_of_normal_operation_never_count(CheckpointFailureReason reason)
    {
        var failures = new CheckpointFailureManager(tolerableFailures: 0);

        for (var id = 1; id <= 10; id++)
        {
            Assert.Equal(FailureVerdict.Ignored, failures.OnFailure(id, reason));
        }

        Assert.Equal(0, failures.ContinuousFailures);
    }

    [Fact]
    public void The_job_fails_on_the_first_failure_beyond_the_tolerable_number_and_the_reason_names_the_setting()
    {
        var failures = new CheckpointFailureManager(tolerableFailures: 2);

        Assert.Equal(FailureAction.Tolerate, failures.OnFailure(1, CheckpointFailureReason.Expired).Action);
        Assert.Equal(FailureAction.Tolerate, failures.OnFailure(2, CheckpointFailureReason.DeclinedByTask).Action);
        var verdict = failures.OnFailure(3, CheckpointFailureReason.FinalizeFailed);

        Assert.Equal(FailureAction.FailJob, verdict.Action);
        Assert.Contains("3 checkpoints failed in a row, 2 tolerated", verdict.Reason);
        Assert.Contains("execution.checkpointing.tolerable-failed-checkpoints", verdict.Reason);
        Assert.Contains("checkpoint 3", verdict.Reason);
        Assert.Contains("writing its metadata failed", verdict.Reason);
    }

    [Fact]
    public void With_zero_tolerable_failures_the_first_counting_failure_fails_the_job()
    {
        var failures = new CheckpointFailureManager(tolerableFailures: 0);

        Assert.Equal(FailureAction.FailJob, failures.OnFailure(1, CheckpointFailureReason.Expired).Action);
    }

    [Fact]
    public void A_completed_checkpoint_resets_the_count_of_the_failures_before_it()
    {
        var failures = new CheckpointFailureManager(tolerableFailures: 2);
        failures.OnFailure(1, CheckpointFailureReason.Expired);
        failures.OnFailure(2, CheckpointFailureReason.Expired);

        failures.OnSuccess(3);

        Assert.Equal(0, failures.ContinuousFailures);
        Assert.Equal(FailureAction.Tolerate, failures.OnFailure(4, CheckpointFailureReason.Expired).Action);
        Assert.Equal(FailureAction.Tolerate, failures.OnFailure(5, CheckpointFailureReason.Expired).Action);
        Assert.Equal(FailureAction.FailJob, failures.OnFailure(6, CheckpointFailureReason.Expired).Action);
    }

    [Fact]
    public void A_completed_checkpoint_does_not_forgive_failures_of_newer_checkpoints()
    {
        // "In a row" is by checkpoint id: 5 failed after 4 in id order, even if 4 completed later.
        var failures = new CheckpointFailureManager(tolerableFailures: 3);
        failures.OnFailure(5, CheckpointFailureReason.Expired);

        failures.OnSuccess(4);

        Assert.Equal(1, failures.ContinuousFailures);
    }

    [Fact]
    public void A_checkpoint_that_fails_twice_is_counted_once()
    {
        var failures = new CheckpointFailureManager(tolerableFailures: 1);

        Assert.Equal(FailureVerdict.Tolerated, failures.OnFailure(7, CheckpointFailureReason.DeclinedByTask));
        Assert.Equal(FailureVerdict.Ignored, failures.OnFailure(7, CheckpointFailureReason.Expired));
        Assert.Equal(FailureVerdict.Ignored, failures.OnFailure(7, CheckpointFailureReason.DeclinedByTask));
        Assert.Equal(1, failures.ContinuousFailures);
    }

    [Fact]
    public void Every_reason_has_a_description()
    {
        foreach (var reason in Enum.GetValues<CheckpointFailureReason>())
        {
            Assert.NotEqual(reason.ToString(), CheckpointFailureManager.Describe(reason));
        }
    }
}
