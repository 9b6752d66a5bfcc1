package dev.quark.jobs.store;

import java.util.Set;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobStatus;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseLostException;

/**
 * The checks and messages every {@link JobStore} shares, so that they fail alike.
 */
public final class StoreChecks {

    private StoreChecks() {
    }

    /**
     * Checks that the statuses to purge are finished ones.
     * @param statuses the statuses
     * @return the statuses
     * @throws IllegalArgumentException naming the first that is not finished
     */
    public static Set<JobStatus> requireFinished(Set<JobStatus> statuses) {
        for (JobStatus status : statuses) {
            if (!status.isFinished()) {
                throw new IllegalArgumentException("Only finished jobs can be purged, not " + status + " ones; the finished "
                        + "statuses are " + JobStatus.finished());
            }
        }
        return statuses;
    }

    /**
     * Returns the failure of a requeue of a job that is not dead-lettered.
     * @param job the job
     * @return the exception
     */
    public static IllegalStateException notRequeueable(Job job) {
        return new IllegalStateException("Job " + job.id() + " (" + job.type() + ") is " + job.status()
                + ": only " + JobStatus.DEAD_LETTERED + " jobs can be requeued");
    }

    /**
     * Returns the failure of a write whose lease was lost.
     * @param id the job
     * @param lease the lease the write was made for
     * @return the exception
     */
    public static LeaseLostException leaseLost(JobId id, Lease lease) {
        return new LeaseLostException(lease.resource(), lease.token(), null);
    }

    /**
     * Checks that a batch of outcomes has at most one per job.
     * @param outcomes the outcomes
     * @throws IllegalArgumentException naming the first job with two
     */
    public static void requireDistinctJobs(java.util.List<JobOutcome> outcomes) {
        java.util.Set<JobId> seen = new java.util.HashSet<>();
        for (JobOutcome outcome : outcomes) {
            if (!seen.add(outcome.id())) {
                throw new IllegalArgumentException("Job " + outcome.id() + " has two outcomes in one batch; an attempt "
                        + "ends once");
            }
        }
    }
}
