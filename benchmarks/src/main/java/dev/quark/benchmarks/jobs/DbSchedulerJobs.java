package dev.quark.benchmarks.jobs;

import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.quark.benchmarks.harness.BenchServers.PostgresSchema;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * db-scheduler ({@code com.github.kagkarlsson:db-scheduler}) through its plain library API on PostgreSQL, its
 * table created by {@link #SCHEMA} in a schema of its own: a one-time task {@value QuarkJobs#TYPE} whose data is
 * the job's number, {@code workers} executor threads, polling every {@link JobsWorkload#POLL_INTERVAL} with
 * lock-and-fetch ({@code select ... for update skip locked} and the update to picked in one statement), fetching up
 * to {@value #UPPER_LIMIT}× the threads and fetching again when fewer than {@value #LOWER_LIMIT}× are left: db-scheduler's
 * defaults for lock-and-fetch ({@code QUARK_BENCH_DBSCHEDULER_UPPER_LIMIT} sets another upper limit, to see what
 * db-scheduler does when it too fetches more, {@link #upperLimit()}). A job is done when its row is deleted (db-scheduler's completion of a one-time task).
 */
final class DbSchedulerJobs implements JobContender {

    /** The table and indexes of db-scheduler's {@code postgresql_tables.sql} for the version in use (16.x). */
    static final String SCHEMA = """
            create table scheduled_tasks (
              task_name text not null,
              task_instance text not null,
              task_data bytea,
              execution_time timestamp with time zone not null,
              picked boolean not null,
              picked_by text,
              last_success timestamp with time zone,
              last_failure timestamp with time zone,
              consecutive_failures int,
              last_heartbeat timestamp with time zone,
              version bigint not null,
              priority smallint,
              primary key (task_name, task_instance)
            );
            create index execution_time_idx on scheduled_tasks (execution_time);
            create index last_heartbeat_idx on scheduled_tasks (last_heartbeat);
            create index priority_execution_time_idx on scheduled_tasks (priority desc, execution_time asc);
            """;

    static final double LOWER_LIMIT = 0.5;

    static final double UPPER_LIMIT = 1.0;

    /**
     * Returns the upper limit of lock-and-fetch: {@code QUARK_BENCH_DBSCHEDULER_UPPER_LIMIT} when set (4.0 fetches up to
     * 4× the threads, as quark-jobs' adaptive prefetch at its ceiling claims up to 4× the workers beyond the free
     * ones), else db-scheduler's default, {@value #UPPER_LIMIT}.
     * @return the upper limit, at least {@link #LOWER_LIMIT}
     */
    static double upperLimit() {
        String limit = System.getenv("QUARK_BENCH_DBSCHEDULER_UPPER_LIMIT");
        double upper = (limit == null || limit.isBlank()) ? UPPER_LIMIT : Double.parseDouble(limit.strip());
        if (upper < LOWER_LIMIT) {
            throw new IllegalArgumentException("QUARK_BENCH_DBSCHEDULER_UPPER_LIMIT must be at least " + LOWER_LIMIT
                    + ", was " + limit);
        }
        return upper;
    }

    private final PostgresSchema schema;

    private final OneTimeTask<Integer> task;

    private final Scheduler scheduler;

    private final JdbcClient jdbc;

    private final JobContender.Measured measured;

    DbSchedulerJobs(PostgresSchema schema, int workers, LongAdder executed, boolean count) {
        this.schema = schema;
        this.jdbc = JdbcClient.create(schema.dataSource());
        for (String statement : SCHEMA.split(";")) {
            if (!statement.isBlank()) {
                this.jdbc.sql(statement).update();
            }
        }
        this.task = Tasks.oneTime(QuarkJobs.TYPE, Integer.class).execute((instance, context) -> executed.increment());
        javax.sql.DataSource dataSource = count ? new StatementCountingDataSource(schema.dataSource())
                : schema.dataSource();
        this.measured = new JobContender.Measured(schema, "scheduled_tasks", dataSource);
        this.scheduler = Scheduler.create(dataSource, this.task)
            .tableName("scheduled_tasks")
            .threads(workers)
            .pollingInterval(JobsWorkload.POLL_INTERVAL)
            .pollUsingLockAndFetch(LOWER_LIMIT, upperLimit())
            .build();
    }

    @Override
    public void enqueue(int number) {
        this.scheduler.schedule(this.task.instance("job-" + number, number), Instant.now());
    }

    @Override
    public void enqueued() {
        this.jdbc.sql("analyze scheduled_tasks").update();
    }

    @Override
    public JobContender.Measured measured() {
        return this.measured;
    }

    @Override
    public void start() {
        this.scheduler.start();
    }

    @Override
    public boolean allDone(int jobs) {
        return this.jdbc.sql("select count(*) from scheduled_tasks").query(Long.class).single() == 0;
    }

    @Override
    public void close() {
        try {
            this.scheduler.stop();
        }
        finally {
            this.schema.close();
        }
    }
}
