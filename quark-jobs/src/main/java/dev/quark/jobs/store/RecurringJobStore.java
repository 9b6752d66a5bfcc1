package dev.quark.jobs.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import dev.quark.jobs.JobId;
import dev.quark.jobs.RecurringJob;
import org.jspecify.annotations.Nullable;

/**
 * Keeps recurring jobs: their definitions and the next scheduled instant of each. Quark ships
 * {@code InMemoryRecurringJobStore}, {@code RedisRecurringJobStore} and {@code JdbcRecurringJobStore} (PostgreSQL);
 * all pass {@code RecurringJobStoreContractTests} in {@code quark-testkit}.
 * <p>
 * Each scheduled instant runs once across nodes: a node {@linkplain #fire fires} it, which in one atomic step checks
 * that the recurring job's next instant and last occurrence are still those it read, enqueues the instant's job in
 * the {@link JobStore} of the same backend (its idempotency key made of the recurring job's id and the instant) and
 * moves the recurring job on, linking it to that job. Nodes that race fire once; a node that read the recurring job
 * long ago (a long pause, longer than the jobs' retention) finds it moved on and enqueues nothing. An instant that is
 * skipped moves on with {@link #advance}, a compare-and-set on the next instant alone.
 * <p>
 * Implementations are thread-safe.
 */
public interface RecurringJobStore {

    /**
     * Creates a recurring job, or updates the one with its id: when the stored one has the same definition
     * ({@link RecurringJob#sameDefinition}) it is kept as it is, its next instant included; otherwise the stored one
     * is replaced, next instant included, its last occurrence kept (so that its overlap policy still sees the job
     * that may be running). Atomic: nodes declaring the same job at once leave one.
     * @param job the job
     * @return the job as stored
     */
    RecurringJob save(RecurringJob job);

    /**
     * Deletes a recurring job; jobs it already enqueued stay.
     * @param id its id
     * @return whether it existed
     */
    boolean delete(String id);

    /**
     * Deletes a recurring job if it was declared in code ({@link RecurringJob.Origin#DECLARED}), atomically: one
     * created at run time with the same id meanwhile stays.
     * @param id its id
     * @return whether a declared one was deleted
     */
    boolean deleteDeclared(String id);

    /**
     * Reads a recurring job.
     * @param id its id
     * @return the job, or empty
     */
    Optional<RecurringJob> find(String id);

    /**
     * Lists the recurring jobs, in the order of their ids.
     * @return the jobs
     */
    List<RecurringJob> list();

    /**
     * Returns recurring jobs whose next instant has come, earliest first.
     * @param now the instant
     * @param limit how many at most, positive
     * @return the jobs with {@code nextRunAt <= now}
     */
    List<RecurringJob> due(Instant now, int limit);

    /**
     * Moves a recurring job on to its next instant, if its next instant is still {@code expected}.
     * @param id its id
     * @param expected the next instant read before
     * @param next the new next instant
     * @return whether it was moved on: false when another node did, or it was deleted or redefined meanwhile
     */
    boolean advance(String id, Instant expected, Instant next);

    /**
     * Enqueues the job of a recurring job's instant and moves the recurring job on, in one atomic step, if its next
     * instant is still {@code expected} and its last occurrence still {@code expectedLast}: the job is stored in the
     * job store of the same backend (unless its idempotency key belongs to a stored job, which is then taken as the
     * occurrence's job), and the recurring job's next instant becomes {@code next} and its last occurrence the
     * stored job.
     * @param id the recurring job's id
     * @param expected the next instant read before, the instant fired
     * @param expectedLast the last occurrence read before, or {@code null}
     * @param next the new next instant
     * @param job the instant's job
     * @return what the job store did, or empty when the recurring job had moved on, been deleted or redefined (nothing
     * was enqueued)
     */
    Optional<Enqueued> fire(String id, Instant expected, @Nullable JobId expectedLast, Instant next, NewJob job);
}
