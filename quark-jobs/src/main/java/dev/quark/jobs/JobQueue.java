package dev.quark.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Enqueues durable jobs and looks after them; the bean applications inject. A job is stored before
 * {@code enqueue} returns, then run by a {@link JobHandler} on a worker of any node that shares the store, at
 * least once:
 * <pre>{@code
 * JobId id = jobs.enqueue("send-invoice", new SendInvoice("order-42"));         // as soon as a worker is free
 * jobs.enqueueAfter("send-reminder", new Reminder("order-42"), Duration.ofDays(3));
 * jobs.enqueue(JobRequest.of("charge", new Charge("order-42", 1999))
 *     .withIdempotencyKey("charge-order-42"));                                  // once, however often called
 * jobs.find(id).map(Job::status);                                               // ENQUEUED, RUNNING, SUCCEEDED...
 * }</pre>
 * <b>Transactions.</b> On PostgreSQL an enqueue inside a Spring-managed transaction on the application's
 * {@code DataSource} joins it: the job exists if and only if the transaction commits, and workers see it after the
 * commit. On the other stores it is stored at once.
 * <p>
 * <b>Bad input</b> fails before anything is stored: an unknown job type with {@link UnknownJobTypeException}, a
 * payload that is not of the handler's payload type or cannot be written as JSON with
 * {@link IllegalArgumentException} or {@link JobPayloadException}, a negative delay with
 * {@link IllegalArgumentException}, each naming the value.
 */
public interface JobQueue {

    /**
     * Enqueues a job to run as soon as a worker is free.
     * @param type the job type
     * @param payload the payload
     * @return the job's id
     * @throws UnknownJobTypeException when no handler is registered for the type
     */
    default JobId enqueue(String type, Object payload) {
        return enqueue(JobRequest.of(type, payload));
    }

    /**
     * Enqueues a workflow: stores it and enqueues its steps without dependencies; each other step is enqueued once
     * its dependencies let it run (see {@link JobWorkflow}). On PostgreSQL inside a Spring-managed transaction the
     * workflow and its first steps' jobs join it, and a failure to enqueue those jobs is thrown (the transaction may
     * be aborted and must roll back); outside one, the workflow is stored and a later sweep enqueues them.
     * @param workflow the workflow, checked when built
     * @return the workflow's id
     * @throws InvalidWorkflowException naming the step when a step's type has no handler or its payload is not of
     * its handler's payload type
     * @throws IllegalStateException when the queue keeps no workflows
     */
    WorkflowId enqueue(JobWorkflow workflow);

    /**
     * Reads a workflow: each step's status (a step whose job ended shows its outcome even before the workflow
     * recorded it) and the aggregate of those statuses.
     * @param id the workflow's id
     * @return the workflow, or empty
     */
    Optional<Workflow> findWorkflow(WorkflowId id);

    /**
     * Cancels a workflow: steps that have not started will not run, waiting step jobs are cancelled, running ones
     * are asked to stop ({@link JobContext#isCancellationRequested()}).
     * @param id the workflow's id
     * @return {@code true} when it was cancelled now, {@code false} when it had finished (its steps' jobs are
     * looked at first: a workflow whose steps all ended is not cancelled, even before it recorded their outcomes)
     * or was cancelled before
     * @throws WorkflowNotFoundException naming the id when no workflow has it
     */
    boolean cancelWorkflow(WorkflowId id);

    /**
     * Enqueues a job for a handler class, to run as soon as a worker is free.
     * @param <P> the payload type
     * @param handler the handler's class, registered with the queue
     * @param payload the payload
     * @return the job's id
     * @throws UnknownJobTypeException when the handler class is not registered
     */
    <P> JobId enqueue(Class<? extends JobHandler<P>> handler, P payload);

    /**
     * Enqueues a job to run at an instant; one in the past runs as soon as a worker is free.
     * @param type the job type
     * @param payload the payload
     * @param at the earliest instant it runs at
     * @return the job's id
     */
    default JobId enqueueAt(String type, Object payload, Instant at) {
        return enqueue(JobRequest.of(type, payload).runAt(at));
    }

    /**
     * Enqueues a job to run after a delay.
     * @param type the job type
     * @param payload the payload
     * @param delay how long from now, zero or positive
     * @return the job's id
     * @throws IllegalArgumentException naming the delay when it is negative
     */
    default JobId enqueueAfter(String type, Object payload, Duration delay) {
        return enqueue(JobRequest.of(type, payload).runAfter(delay));
    }

    /**
     * Enqueues a job as a request describes it. With an idempotency key that a stored job already has, nothing is
     * enqueued and that job's id is returned.
     * @param request the request
     * @return the job's id, new or the one of the job with the same key
     * @throws IllegalStateException when the key belongs to a job of another type
     */
    JobId enqueue(JobRequest request);

    /**
     * Reads a job.
     * @param id the id
     * @return the job, or empty when no job has the id (never had, or was purged)
     */
    Optional<Job> find(JobId id);

    /**
     * Lists jobs by status and type, a page at a time in the order they were enqueued.
     * @param query the statuses, type, page size and where the page starts
     * @return the page
     */
    JobPage list(JobQuery query);

    /**
     * Counts the jobs in each status.
     * @return the count of every status, zero included
     */
    Map<JobStatus, Long> counts();

    /**
     * Cancels a job: a waiting job is cancelled at once; a running job is asked to stop
     * ({@link JobContext#isCancellationRequested()}); a finished job is left as it is.
     * @param id the job
     * @return what happened
     * @throws JobNotFoundException when no job has the id
     */
    CancelResult cancel(JobId id);

    /**
     * Runs a dead-lettered job again: it is {@link JobStatus#ENQUEUED} with its attempts counted from zero, its last
     * error and log kept.
     * @param id the job
     * @return the job as requeued
     * @throws JobNotFoundException when no job has the id
     * @throws IllegalStateException naming the status when the job is not dead-lettered
     */
    Job requeue(JobId id);

    /**
     * Deletes finished jobs in some statuses that finished more than a while ago; their idempotency keys can then be
     * used again.
     * @param olderThan how long ago they finished at least, zero or positive
     * @param statuses which finished statuses to delete, among {@link JobStatus#finished()}
     * @return how many jobs were deleted
     * @throws IllegalArgumentException naming the value when the duration is negative or a status is not a
     * finished one
     */
    int purge(Duration olderThan, Set<JobStatus> statuses);

    /**
     * Deletes jobs that finished (succeeded, dead-lettered or cancelled) more than a while ago.
     * @param olderThan how long ago they finished at least, zero or positive
     * @return how many jobs were deleted
     */
    default int purge(Duration olderThan) {
        return purge(olderThan, JobStatus.finished());
    }

    /**
     * Creates a recurring job, or updates the one with the request's id. Idempotent: several nodes that declare the
     * same recurring job at start-up leave one, its next instant unchanged; a changed type, payload, schedule or
     * misfire policy replaces the stored one, its next instant counted again from now. Each scheduled instant then
     * enqueues one job of the type, once across all nodes.
     * @param request the recurring job
     * @return the recurring job as stored
     * @throws UnknownJobTypeException when no handler is registered for the type
     * @throws IllegalArgumentException naming the value when the payload is not of the handler's payload type
     * @throws IllegalStateException when a cron expression never matches again
     */
    RecurringJob scheduleRecurring(RecurringJobRequest request);

    /**
     * Deletes a recurring job: no further jobs are enqueued for it; those already enqueued stay.
     * @param id its id
     * @return whether it existed
     */
    boolean deleteRecurring(String id);

    /**
     * Reads a recurring job.
     * @param id its id
     * @return the recurring job, or empty
     */
    Optional<RecurringJob> findRecurring(String id);

    /**
     * Lists the recurring jobs, in the order of their ids.
     * @return the recurring jobs
     */
    List<RecurringJob> listRecurring();
}
