package dev.quark.jobs;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * A hook around jobs, on the server side: told when a job is enqueued, before and after each attempt runs, and when
 * an attempt fails or a job is dead-lettered. Every {@code JobFilter} bean is registered, in the order of
 * {@code @Order} / {@link org.springframework.core.Ordered} (lowest first) for every hook.
 * <p>
 * Filters observe; they cannot stop or change a job. <b>A filter that throws does not lose the job</b>: its exception
 * is logged (logger {@code dev.quark.jobs.runtime.JobFilters}, naming the filter, the hook and the job) and the job
 * goes on as if the filter had returned, and so do the other filters.
 * <p>
 * Hooks run on the thread of what they observe: {@link #onEnqueued} on the enqueuing thread (on PostgreSQL inside the
 * caller's transaction, before it commits); the others on the worker thread of the attempt, with the MDC of the job
 * ({@code quark.job.id}, {@code quark.job.type}) set. Keep them short: they delay the attempt.
 */
public interface JobFilter {

    /**
     * Called once a job is stored (not when its idempotency key existed).
     * @param job the job as stored
     */
    default void onEnqueued(Job job) {
    }

    /**
     * Called on the worker thread before the handler runs, for every attempt.
     * @param job the job as claimed ({@link JobStatus#RUNNING}, its attempt counted)
     * @param context the attempt's context
     */
    default void beforeRun(Job job, JobContext context) {
    }

    /**
     * Called on the worker thread after the handler returned or threw, before the outcome is recorded.
     * @param job the job as claimed
     * @param context the attempt's context
     * @param failure what the handler threw, or {@code null} when it returned
     */
    default void afterRun(Job job, JobContext context, @Nullable Throwable failure) {
    }

    /**
     * Called once a failed attempt (an exception, a timeout) is recorded and another attempt follows.
     * @param job the job as claimed
     * @param error the failure
     * @param retryAt when the next attempt is due
     */
    default void onFailure(Job job, JobError error, Instant retryAt) {
    }

    /**
     * Called once a job is recorded as dead-lettered.
     * @param job the job as claimed
     * @param error why
     */
    default void onDeadLetter(Job job, JobError error) {
    }
}
