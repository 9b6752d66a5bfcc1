package dev.quark.jobs.store;

import java.util.Objects;

import dev.quark.jobs.Job;
import dev.quark.lease.Lease;
import org.jspecify.annotations.Nullable;

/**
 * A job a worker claimed: {@link dev.quark.jobs.JobStatus#RUNNING}, its attempt counted, stamped with the lease's
 * token.
 *
 * @param job the job, as stamped
 * @param lease the lease the worker holds on it; every write for the job carries its token
 * @param abandonedBy for a job taken over from a worker whose lease expired, that worker; else {@code null}
 */
public record ClaimedJob(Job job, Lease lease, @Nullable String abandonedBy) {

    /**
     * Validates the claimed job.
     */
    public ClaimedJob {
        Objects.requireNonNull(job, "job must not be null");
        Objects.requireNonNull(lease, "lease must not be null");
    }
}
