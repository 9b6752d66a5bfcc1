package dev.quark.jobs.store;

import java.time.Instant;
import java.util.Objects;

import dev.quark.jobs.JobError;
import dev.quark.jobs.JobStatus;
import org.jspecify.annotations.Nullable;

/**
 * How a running job's attempt ends, as a worker writes it ({@link JobStore#finish}).
 *
 * @param status the job's new status
 * @param dueAt for {@link JobStatus#RETRYING} and {@link JobStatus#ENQUEUED}, when it is due again; else
 * {@code null}
 * @param error the attempt's failure, which becomes the job's last error, or {@code null} to keep the last error
 * @param attemptCounted whether the attempt counts; {@code false} for a job released at shutdown, which gets its
 * attempt back
 */
public record JobTransition(JobStatus status, @Nullable Instant dueAt, @Nullable JobError error,
        boolean attemptCounted) {

    /**
     * Validates the transition.
     */
    public JobTransition {
        Objects.requireNonNull(status, "status must not be null");
        if (status == JobStatus.RUNNING || status == JobStatus.SCHEDULED) {
            throw new IllegalArgumentException("An attempt does not end " + status);
        }
        if ((status == JobStatus.RETRYING || status == JobStatus.ENQUEUED) != (dueAt != null)) {
            throw new IllegalArgumentException("A job " + status + " is due again " + ((dueAt != null) ? "only when "
                    + "retrying or released" : "at some instant"));
        }
    }

    /**
     * The attempt completed.
     * @return the transition
     */
    public static JobTransition succeeded() {
        return new JobTransition(JobStatus.SUCCEEDED, null, null, true);
    }

    /**
     * The attempt failed; another follows.
     * @param dueAt when the next attempt is due
     * @param error the failure
     * @return the transition
     */
    public static JobTransition retry(Instant dueAt, JobError error) {
        return new JobTransition(JobStatus.RETRYING, dueAt, error, true);
    }

    /**
     * The attempt failed; no other follows.
     * @param error the failure
     * @return the transition
     */
    public static JobTransition deadLetter(JobError error) {
        return new JobTransition(JobStatus.DEAD_LETTERED, null, error, true);
    }

    /**
     * The handler stopped after a cancellation request.
     * @return the transition
     */
    public static JobTransition cancelled() {
        return new JobTransition(JobStatus.CANCELLED, null, null, true);
    }

    /**
     * The worker gave the job back before its attempt finished (shutdown); the attempt does not count.
     * @param dueAt when it is due again, usually now
     * @return the transition
     */
    public static JobTransition released(Instant dueAt) {
        return new JobTransition(JobStatus.ENQUEUED, dueAt, null, false);
    }
}
