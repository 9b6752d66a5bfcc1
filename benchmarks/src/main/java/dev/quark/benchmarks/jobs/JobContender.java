package dev.quark.benchmarks.jobs;

/**
 * One job system with its workers not yet started, its store empty: the workload enqueues jobs, starts the workers
 * and waits until every job is recorded as done.
 */
interface JobContender extends AutoCloseable {

    /**
     * Enqueues the no-op job with this number; called from many threads at once.
     * @param number the job's number, its payload
     */
    void enqueue(int number);

    /**
     * Called once the jobs are enqueued, before the workers start: on PostgreSQL, {@code analyze} of the table, so
     * that the planner knows the rows a long-lived table would have statistics for (every round creates its table
     * empty, and autovacuum would analyze it only a minute or so later).
     */
    default void enqueued() {
    }

    /**
     * Returns the PostgreSQL schema, table and data source the contender's engine uses, for {@link RunCost}.
     * @return them, or {@code null} off PostgreSQL
     */
    default @org.jspecify.annotations.Nullable Measured measured() {
        return null;
    }

    /** Starts the workers. */
    void start();

    /**
     * Reads the store: whether this many jobs are recorded as done.
     * @param jobs the jobs enqueued
     * @return whether all of them are done
     */
    boolean allDone(int jobs);

    /** Stops the workers and removes what the run stored. */
    @Override
    void close();

    /**
     * What a PostgreSQL contender's engine runs on.
     * @param schema the schema of the round
     * @param table the queue's table, whose row writes are counted
     * @param dataSource the engine's data source, a {@link StatementCountingDataSource} when counting
     */
    record Measured(dev.quark.benchmarks.harness.BenchServers.PostgresSchema schema, String table,
            javax.sql.DataSource dataSource) {
    }
}
