package dev.quark.jobs.store;

import java.time.Instant;
import java.util.Objects;

import dev.quark.jobs.JobId;
import dev.quark.lease.Lease;

/**
 * How one running job's attempt ends, as a worker hands it to {@link JobStore#finishAll} together with others: the
 * arguments of one {@link JobStore#finish} call.
 *
 * @param id the job
 * @param lease the worker's lease on it, which fences the write
 * @param transition the new status
 * @param report the final progress and log
 * @param now when the attempt ended, the finish time of a finished job
 */
public record JobOutcome(JobId id, Lease lease, JobTransition transition, JobReport report, Instant now) {

    /**
     * Validates the outcome.
     */
    public JobOutcome {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(lease, "lease must not be null");
        Objects.requireNonNull(transition, "transition must not be null");
        Objects.requireNonNull(report, "report must not be null");
        Objects.requireNonNull(now, "now must not be null");
    }
}
