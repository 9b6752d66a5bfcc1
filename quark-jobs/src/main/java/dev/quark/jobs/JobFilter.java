package dev.quark.jobs;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * A hook around jobs, on the server side: asked before a job is stored (it may change or veto it), told when it is
 * enqueued, asked to restore context around each attempt, told before and after each attempt runs, and when an
 * attempt fails or a job is dead-lettered. Every {@code JobFilter} bean is registered, in the order of
 * {@code @Order} / {@link org.springframework.core.Ordered} (lowest first) for every hook; the scopes of
 * {@link #openScope} are closed in the reverse order.
 * <p>
 * <b>Only {@link JobDraft#veto} stops a job.</b> A filter that throws anything else does not lose the job: its
 * exception is logged (logger {@code dev.quark.jobs.runtime.JobFilters}, naming the filter, the hook and the job),
 * its changes to the draft are undone, and the job goes on as if the filter had returned, and so do the other
 * filters. This holds for errors too: from {@link #beforeEnqueue} (the job is stored without that filter's changes),
 * and around an attempt from {@link #openScope}, {@link #beforeRun}, a scope's {@link Scope#close} (the attempt still
 * reaches its outcome, the other scopes are closed and the worker's slot is freed); a {@link VirtualMachineError} is
 * rethrown, from {@code beforeEnqueue} to the caller (nothing stored), around an attempt after that clean-up.
 * <p>
 * Hooks run on the thread of what they observe: {@link #beforeEnqueue} and {@link #onEnqueued} on the enqueuing
 * thread (on PostgreSQL inside the caller's transaction, before it commits; for the jobs of recurring jobs, the
 * recurring jobs' scheduler's thread, which has no caller's context); the others on the worker thread of the
 * attempt, with the MDC of the job ({@code quark.job.id}, {@code quark.job.type}) and the scopes of
 * {@link #openScope} set. <b>Except after a timeout:</b> the handler may still be running on the worker thread, so
 * {@link #onFailure} or {@link #onDeadLetter} run on a separate virtual thread, with the MDC of the job but without
 * the scopes. Keep them short: they delay the caller or the attempt.
 * <p>
 * Carrying context from the enqueuing thread to the worker takes two hooks: {@link #beforeEnqueue} copies it into
 * the job's metadata, {@link #openScope} puts it back on the worker thread and its scope takes it away again.
 */
public interface JobFilter {

    /**
     * Called on the enqueuing thread before a job is stored, also for each step of a workflow when the workflow is
     * enqueued (not when the step is released later), and for the job of each scheduled instant of a recurring job,
     * on the scheduler's thread, which has no caller's context ({@link JobDraft#recurringJob()} tells them apart; a
     * veto skips that instant). The filter may change the draft or veto it. The job of a recurring job's instant may be
     * handed to it more than once, though stored once: on every node that looks at the instant, and again after a
     * failed enqueue; count side effects in {@link #onEnqueued}, or key them by the idempotency key.
     * @param job the job about to be stored
     * @throws JobVetoedException through {@link JobDraft#veto}
     */
    default void beforeEnqueue(JobDraft job) {
    }

    /**
     * Called on the worker thread first in every attempt, before {@link #beforeRun}: restores context carried in the
     * job's {@link Job#metadata() metadata}. The scope is closed last in the attempt, on the worker thread (its
     * interrupt flag cleared), after its outcome is recorded and {@link #onFailure} or {@link #onDeadLetter} ran
     * (those run without it after a timeout), in the reverse order of the filters, even when the attempt failed.
     * @param job the job as claimed
     * @return what to close after the attempt, not {@code null} (a {@code null} is logged and skipped);
     * {@link Scope#NONE} by default
     */
    default Scope openScope(Job job) {
        return Scope.NONE;
    }

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
     * Called on the worker thread after the handler returned or threw, before the outcome is recorded (after a
     * timeout, once the handler returned or threw, when the outcome may have been recorded already).
     * @param job the job as claimed
     * @param context the attempt's context
     * @param failure what the handler threw, or {@code null} when it returned; the {@link JobTimeoutException} when
     * the attempt's timeout decided its outcome, whatever the handler did after
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

    /**
     * Context a filter set on the worker thread for one attempt, taken away again by {@link #close}.
     */
    @FunctionalInterface
    interface Scope extends AutoCloseable {

        /** A scope that sets nothing. */
        Scope NONE = () -> {
        };

        /**
         * Takes the context away, on the worker thread, after the attempt.
         */
        @Override
        void close();
    }
}
