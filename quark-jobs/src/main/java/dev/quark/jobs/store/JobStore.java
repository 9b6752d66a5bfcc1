package dev.quark.jobs.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.quark.jobs.CancelResult;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobNotFoundException;
import dev.quark.jobs.JobPage;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobStatus;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseLostException;
import dev.quark.lease.LeaseStore;

/**
 * Keeps jobs and lets workers claim them: the SPI behind {@link dev.quark.jobs.JobQueue} and the orchestrator.
 * Quark ships {@code InMemoryJobStore}, {@code RedisJobStore} and {@code JdbcJobStore} (PostgreSQL); all pass
 * {@code JobStoreContractTests} in {@code quark-testkit}.
 * <p>
 * <b>Claiming with leases.</b> A job belongs to a worker while the worker holds the lease on
 * {@link JobLeases#resource its resource} in the shared {@code LeaseStore}. A claim finds candidates, has the worker
 * acquire their leases ({@link JobLeases}), and <em>stamps</em> each job whose lease it got with the lease's fencing
 * token, as {@link JobStatus#RUNNING} with its attempt counted. From then on every write for the job
 * ({@link #report}, {@link #finish}) requires that token and the status {@code RUNNING}, atomically with the write,
 * and is refused with a {@link LeaseLostException} otherwise: a worker that lost its lease cannot overwrite what the
 * job's next worker wrote. A running job whose lease expired (its worker crashed or froze) is
 * {@linkplain #claimAbandoned taken over} by another worker with a newer token; it runs again, so jobs run at least
 * once.
 * <p>
 * <b>Leases kept in the store's own records.</b> A store may instead keep each job's lease in the job's record and
 * grant it in the claim itself ({@code JdbcJobStore} and {@code RedisJobStore} do: one statement, or one script,
 * claims a batch), exposing those leases as a {@link LeaseStore} through {@link #leaseStore()}; the worker's
 * {@code LeaseKeeper} then renews them there. The guarantees stay the same: a job is claimed only while its lease is free, a claim grants a token greater than any
 * before for the job, and every write requires it.
 * <p>
 * <b>Time.</b> Due times are instants of the application's clock, passed in; lease expiry is the lease store's.
 * <p>
 * Implementations are thread-safe. A backend that cannot be reached surfaces as its client's exception.
 */
public interface JobStore {

    /**
     * Stores a new job, unless its idempotency key belongs to a stored job.
     * @param job the job
     * @return the job stored, or the one with the key
     */
    Enqueued enqueue(NewJob job);

    /**
     * Reads a job.
     * @param id the id
     * @return the job, or empty
     */
    Optional<Job> find(JobId id);

    /**
     * Lists jobs, in the order of their ids.
     * @param query which jobs and which page
     * @return the page; {@link JobPage#next()} is set when the page is full
     */
    JobPage list(JobQuery query);

    /**
     * Counts the jobs in each status.
     * @return every status with its count, zero included
     */
    Map<JobStatus, Long> countByStatus();

    /**
     * Claims waiting jobs that are due, oldest due first: finds candidates of the claim's types, chooses those the
     * worker has room for ({@link Claim#choose}), acquires their leases and stamps the jobs whose lease it got.
     * Concurrent claims never return the same job.
     * @param claim what the worker asks for
     * @param leases acquires the leases
     * @return the claimed jobs, {@link JobStatus#RUNNING}
     */
    List<ClaimedJob> claimDue(Claim claim, JobLeases leases);

    /**
     * Returns when the earliest waiting job of some types that is not due yet becomes due, so that a worker can claim
     * it then rather than at its next poll: a cheap look on the store's due index, made at each poll tick and when such
     * a wake-up fires. Jobs already due do not count (a worker claims them or will when it has room).
     * @param types the types the worker runs
     * @param now the worker's clock: only jobs due after it count
     * @return the earliest due time after {@code now}; empty when no such job waits, and by default (a store that
     * does not tell leaves such jobs to the poll)
     */
    default Optional<Instant> nextDueAfter(Set<String> types, Instant now) {
        return Optional.empty();
    }

    /**
     * Claims running jobs whose lease is free (their worker stopped renewing it), longest running first; the
     * leases decide, since only an expired or released lease can be acquired. Each claimed job's attempt is
     * counted again and {@link ClaimedJob#abandonedBy()} names its former worker.
     * @param claim what the worker asks for; its {@code excluded} jobs (the worker's own) are not looked at
     * @param leases acquires the leases
     * @return the claimed jobs
     */
    List<ClaimedJob> claimAbandoned(Claim claim, JobLeases leases);

    /**
     * Writes a running job's progress and log.
     * @param id the job
     * @param lease the worker's lease on it
     * @param report what to write
     * @throws LeaseLostException when the job is not running with the lease's token
     */
    void report(JobId id, Lease lease, JobReport report);

    /**
     * Ends a running job's attempt.
     * @param id the job
     * @param lease the worker's lease on it
     * @param transition the new status
     * @param report the final progress and log
     * @param now when the attempt ended, the finish time of a finished job
     * @throws LeaseLostException when the job is not running with the lease's token
     */
    void finish(JobId id, Lease lease, JobTransition transition, JobReport report, Instant now);

    /**
     * Ends several running jobs' attempts, each as {@link #finish} would and each fenced by its own lease, in as few
     * round trips as the store can ({@code JdbcJobStore}: one statement); a lost lease refuses the outcome of its
     * job only. By default, one {@link #finish} after the other.
     * @param outcomes the outcomes, at most one per job
     * @return the outcomes not recorded, by job, each with why: a {@link LeaseLostException} when the job no longer
     * runs under the outcome's lease; empty when all were recorded
     * @throws IllegalArgumentException naming the job when two outcomes are for one job; none is written then
     * @throws RuntimeException the backend's, when the store could not be reached; none was written then, except
     * by this default, which goes on with the next outcome and reports the failure of each in the result
     */
    default Map<JobId, RuntimeException> finishAll(List<JobOutcome> outcomes) {
        StoreChecks.requireDistinctJobs(outcomes);
        Map<JobId, RuntimeException> refused = new java.util.HashMap<>();
        for (JobOutcome outcome : outcomes) {
            try {
                finish(outcome.id(), outcome.lease(), outcome.transition(), outcome.report(), outcome.now());
            }
            catch (RuntimeException ex) {
                refused.put(outcome.id(), ex);
            }
        }
        return refused;
    }

    /**
     * Cancels a job: a waiting one at once; for a running one, records the request.
     * @param id the job
     * @param now when
     * @return what happened
     * @throws JobNotFoundException when no job has the id
     */
    CancelResult cancel(JobId id, Instant now);

    /**
     * Returns which of some jobs are running with a cancellation requested.
     * @param ids the jobs, usually those a worker runs
     * @return those with a request
     */
    Set<JobId> cancellationsRequested(Collection<JobId> ids);

    /**
     * Makes a dead-lettered job {@link JobStatus#ENQUEUED} again, due now, its attempts counted from zero.
     * @param id the job
     * @param now when
     * @return the job as requeued
     * @throws JobNotFoundException when no job has the id
     * @throws IllegalStateException naming the status when it is not dead-lettered
     */
    Job requeue(JobId id, Instant now);

    /**
     * Deletes finished jobs.
     * @param statuses the finished statuses to delete
     * @param finishedBefore deletes the jobs that finished before this instant
     * @return how many were deleted
     */
    int purge(Set<JobStatus> statuses, Instant finishedBefore);

    /**
     * Returns where the leases of this store's jobs are when the store keeps them in its own records and grants them
     * in its claims, without calling {@link JobLeases#acquire}: workers must then keep them alive, and release them,
     * through this lease store rather than the shared one. An outcome written by {@link #finish} frees the lease.
     * @return the store's own lease store; empty by default, for a store whose claims acquire the leases through
     * {@link JobLeases} from the shared lease store
     */
    default Optional<LeaseStore> leaseStore() {
        return Optional.empty();
    }

    /**
     * Runs an action once what was just enqueued is visible to workers: after the caller's transaction commits,
     * when the store joined one; at once otherwise, and by default.
     * @param action what to run, such as waking the local workers up
     */
    default void afterCommit(Runnable action) {
        action.run();
    }

    /**
     * Returns whether a write on this thread now joins the caller's transaction, so that a failed write may have
     * aborted it and must be reported to the caller rather than left to a retry.
     * @return whether a caller's transaction on this store's database is active; {@code false} by default
     */
    default boolean inCallerTransaction() {
        return false;
    }
}
