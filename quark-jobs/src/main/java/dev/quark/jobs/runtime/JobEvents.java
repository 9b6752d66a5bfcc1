package dev.quark.jobs.runtime;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobId;

/**
 * What the local queue tells the local orchestrator, so that it need not wait for its next poll.
 */
public interface JobEvents {

    /**
     * A job was enqueued or requeued, and is visible to workers (its transaction committed).
     * @param job the job
     */
    default void enqueued(Job job) {
    }

    /**
     * A running job's cancellation was requested.
     * @param id the job
     */
    default void cancellationRequested(JobId id) {
    }
}
