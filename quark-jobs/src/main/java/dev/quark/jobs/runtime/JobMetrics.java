package dev.quark.jobs.runtime;

import java.time.Duration;

/**
 * Records what the queue and the workers do, for Micrometer in a Spring Boot application. Methods are called on
 * the threads that do the work and must return quickly.
 */
public interface JobMetrics {

    /** Records nothing. */
    JobMetrics NONE = new JobMetrics() {
    };

    /**
     * A job was enqueued (not one whose idempotency key existed).
     * @param type the job type
     */
    default void enqueued(String type) {
    }

    /**
     * An attempt started.
     * @param type the job type
     * @param latency how long after it was due it started
     */
    default void started(String type, Duration latency) {
    }

    /**
     * An attempt ended.
     * @param type the job type
     * @param outcome how
     * @param duration how long it ran
     */
    default void finished(String type, ExecutionOutcome outcome, Duration duration) {
    }

    /**
     * A recurring job's instant was skipped because its previous job still ran ({@code OverlapPolicy.SKIP}).
     * @param recurringJob the recurring job's id
     * @param type the type of its jobs
     */
    default void skippedForOverlap(String recurringJob, String type) {
    }

    /**
     * A recurring job's instant was skipped because a {@code JobFilter} vetoed its job in {@code beforeEnqueue}.
     * @param recurringJob the recurring job's id
     * @param type the type of its jobs
     */
    default void skippedForVeto(String recurringJob, String type) {
    }
}
