package dev.quark.jobs.runtime;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobStatus;

/**
 * Told by the orchestrator when an attempt's final outcome was recorded: the job succeeded, was dead-lettered or was
 * cancelled. Called on the attempt's worker thread, after the store write; not for a write refused because the
 * lease was lost.
 */
@FunctionalInterface
public interface JobOutcomeListener {

    /** Tells nobody. */
    JobOutcomeListener NONE = (job, status) -> {
    };

    /**
     * A job finished.
     * @param job the job as it was claimed
     * @param status its final status
     */
    void finished(Job job, JobStatus status);
}
