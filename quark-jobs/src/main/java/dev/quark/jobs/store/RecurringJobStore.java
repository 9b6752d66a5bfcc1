package dev.quark.jobs.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import dev.quark.jobs.RecurringJob;

/**
 * Keeps recurring jobs: their definitions and the next scheduled instant of each. Quark ships
 * {@code InMemoryRecurringJobStore}, {@code RedisRecurringJobStore} and {@code JdbcRecurringJobStore} (PostgreSQL);
 * all pass {@code RecurringJobStoreContractTests} in {@code quark-testkit}.
 * <p>
 * Each scheduled instant runs once across nodes: a node enqueues the instant's job with an idempotency key made of
 * the recurring job's id and the instant (one job per key, atomically, in the {@link JobStore}), then moves the
 * recurring job on with {@link #advance}, a compare-and-set on its next instant. Nodes that race enqueue the same key
 * (one job) and only one advance succeeds.
 * <p>
 * Implementations are thread-safe.
 */
public interface RecurringJobStore {

    /**
     * Creates a recurring job, or updates the one with its id: when the stored one has the same definition
     * ({@link RecurringJob#sameDefinition}) it is kept as it is, its next instant included; otherwise the stored one
     * is replaced, next instant included. Atomic: nodes declaring the same job at once leave one.
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
}
