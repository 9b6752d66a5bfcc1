package dev.quark.jobs;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where a job is in its life. The transitions (see {@code docs/jobs.md} for the diagram):
 * <pre>
 * enqueue ─┬─► ENQUEUED ──┐
 *          └─► SCHEDULED ─┼── claimed when due ──► RUNNING ──┬─► SUCCEEDED
 *              RETRYING ──┘                        ▲     │    ├─► RETRYING       (failed, backoff)
 *                                                  └─────┘    ├─► DEAD_LETTERED  ── requeue ──► ENQUEUED
 *                                       lease expired: taken  ├─► CANCELLED      (stopped on request)
 *                                       over, attempt + 1     └─► ENQUEUED       (its worker shut down)
 * ENQUEUED / SCHEDULED / RETRYING ── cancel ──► CANCELLED
 * </pre>
 * A job waits in {@link #ENQUEUED}, {@link #SCHEDULED} or {@link #RETRYING} until it is due and a worker claims it;
 * it is {@link #RUNNING} while a worker holds its lease; it ends {@link #SUCCEEDED}, {@link #DEAD_LETTERED} or
 * {@link #CANCELLED}. A running job whose worker stopped renewing its lease (a crashed node) is taken over by
 * another worker and runs again; a running job whose node shuts down before it finishes goes back to
 * {@link #ENQUEUED}.
 */
public enum JobStatus {

    /** Waiting to run as soon as a worker is free: enqueued to run now, or requeued from the dead letters. */
    ENQUEUED,

    /** Waiting for the instant it was enqueued for; claimed once that instant has passed. */
    SCHEDULED,

    /** Claimed by a worker, whose lease on it is current. */
    RUNNING,

    /** An attempt failed and another will be made once the backoff has passed: failed, will retry. */
    RETRYING,

    /** The handler completed. */
    SUCCEEDED,

    /**
     * Given up: the attempts ran out, the failure was not retryable, or the payload could not be read. The last
     * error stays with the job; {@link JobQueue#requeue} runs it again.
     */
    DEAD_LETTERED,

    /** Cancelled before it ran, or stopped by its handler after a cancellation request. */
    CANCELLED;

    private static final Set<JobStatus> WAITING = EnumSet.of(ENQUEUED, SCHEDULED, RETRYING);

    private static final Set<JobStatus> FINISHED = EnumSet.of(SUCCEEDED, DEAD_LETTERED, CANCELLED);

    /**
     * Returns whether a job in this status waits for a worker.
     * @return whether the status is {@link #ENQUEUED}, {@link #SCHEDULED} or {@link #RETRYING}
     */
    public boolean isWaiting() {
        return WAITING.contains(this);
    }

    /**
     * Returns whether a job in this status will not change again unless requeued.
     * @return whether the status is {@link #SUCCEEDED}, {@link #DEAD_LETTERED} or {@link #CANCELLED}
     */
    public boolean isFinished() {
        return FINISHED.contains(this);
    }

    /**
     * Returns the statuses of jobs that wait for a worker.
     * @return {@link #ENQUEUED}, {@link #SCHEDULED} and {@link #RETRYING}
     */
    public static Set<JobStatus> waiting() {
        return EnumSet.copyOf(WAITING);
    }

    /**
     * Returns the statuses of finished jobs.
     * @return {@link #SUCCEEDED}, {@link #DEAD_LETTERED} and {@link #CANCELLED}
     */
    public static Set<JobStatus> finished() {
        return EnumSet.copyOf(FINISHED);
    }
}
