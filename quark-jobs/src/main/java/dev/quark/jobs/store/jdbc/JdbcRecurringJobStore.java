package dev.quark.jobs.store.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import javax.sql.DataSource;

import dev.quark.jdbc.JoiningWrites;
import dev.quark.jdbc.PostgresNotificationSender;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.JobId;
import dev.quark.jobs.MisfirePolicy;
import dev.quark.jobs.OverlapPolicy;
import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.Schedule;
import dev.quark.jobs.store.Enqueued;
import dev.quark.jobs.store.NewJob;
import dev.quark.jobs.store.RecurringJobStore;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Keeps recurring jobs in a PostgreSQL table, created by the jobs changelog ({@link JdbcJobStore#CHANGELOG}):
 * <pre>
 * {prefix}recurring_job (id varchar(150) primary key, type, payload text, schedule text, misfire_policy,
 *                        next_run_at timestamptz, overlap_policy, origin, last_job_id uuid)
 * </pre>
 * A save is one {@code insert ... on conflict (id) do update ... where} the definition differs; an advance one
 * {@code update ... where next_run_at = :expected}. A fire is one transaction: the conditional update of the
 * recurring job (which locks its row, so a racing fire waits and then finds it moved on) and the insert of the job
 * into the job table by a {@link JdbcJobStore} on the same {@code DataSource} and prefix. Calls join the caller's
 * Spring-managed transaction on the same {@code DataSource} when there is one; writes made while it is ending (an
 * {@code afterCompletion} callback, an {@code AFTER_COMMIT} listener) commit on a connection of their own
 * ({@link JoiningWrites}). Instants are kept to the microsecond.
 */
public class JdbcRecurringJobStore implements RecurringJobStore {

    private static final String COLUMNS = "id, type, payload, schedule, misfire_policy, next_run_at, overlap_policy, "
            + "origin, last_job_id";

    private final JdbcClient jdbc;

    private final JoiningWrites writes;

    private final String table;

    private final String save;

    private final JdbcJobStore jobs;

    private final TransactionTemplate transactions;

    /**
     * Creates a store.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table name, for instance {@code quark_}
     */
    public JdbcRecurringJobStore(DataSource dataSource, TablePrefix tablePrefix) {
        this(dataSource, tablePrefix, null);
    }

    /**
     * Creates a store whose fires may notify other nodes of the jobs they enqueue.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table name, for instance {@code quark_}
     * @param notifications the sender of the notification of a fire's job ({@code pg_notify(channel, type)} on the
     * channel of a {@link JdbcJobStore} with this prefix, after the fire commits), as a notifying {@link JdbcJobStore}
     * sends for the jobs it enqueues; {@code null} for a store whose fires notify nobody (other nodes find their jobs
     * at their next poll). The store does not close it.
     */
    public JdbcRecurringJobStore(DataSource dataSource, TablePrefix tablePrefix,
            @Nullable PostgresNotificationSender notifications) {
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.writes = new JoiningWrites(dataSource);
        this.jdbc = this.writes.jdbc();
        this.table = tablePrefix.table("recurring_job");
        this.save = """
                insert into %1$s (%2$s) values (?, ?, ?, ?, ?, ?, ?, ?, null)
                on conflict (id) do update set type = excluded.type, payload = excluded.payload,
                    schedule = excluded.schedule, misfire_policy = excluded.misfire_policy,
                    next_run_at = excluded.next_run_at, overlap_policy = excluded.overlap_policy,
                    origin = excluded.origin
                where (%1$s.type, %1$s.payload, %1$s.schedule, %1$s.misfire_policy, %1$s.overlap_policy, %1$s.origin)
                    is distinct from (excluded.type, excluded.payload, excluded.schedule, excluded.misfire_policy,
                        excluded.overlap_policy, excluded.origin)
                """.formatted(this.table, COLUMNS);
        this.jobs = new JdbcJobStore(dataSource, tablePrefix, Clock.systemUTC(), notifications);
        this.transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
    }

    /**
     * Returns whether a fire notifies other nodes of the job it enqueued due now.
     * @return whether it notifies
     */
    public boolean notifying() {
        return this.jobs.notifying();
    }

    /**
     * Returns the name of the table.
     * @return the table name, with its prefix
     */
    public String table() {
        return this.table;
    }

    @Override
    public RecurringJob save(RecurringJob job) {
        Objects.requireNonNull(job, "job must not be null");
        return this.writes.apply((jdbc) -> {
            jdbc.sql(this.save)
                .params(job.id(), job.type(), job.payload(), job.schedule().text(), job.misfirePolicy().name(),
                        timestamp(job.nextRunAt()), job.overlapPolicy().name(), job.origin().name())
                .update();
            return find(jdbc, job.id())
                .orElseThrow(() -> new IllegalStateException("Recurring job '" + job.id() + "' vanished while saved"));
        });
    }

    @Override
    public boolean delete(String id) {
        Objects.requireNonNull(id, "id must not be null");
        return this.writes.apply((jdbc) -> jdbc.sql("delete from " + this.table + " where id = ?").param(id).update()) > 0;
    }

    @Override
    public boolean deleteDeclared(String id) {
        Objects.requireNonNull(id, "id must not be null");
        return this.writes.apply((jdbc) -> jdbc.sql("delete from " + this.table + " where id = ? and origin = ?")
            .params(id, RecurringJob.Origin.DECLARED.name())
            .update()) > 0;
    }

    @Override
    public Optional<RecurringJob> find(String id) {
        Objects.requireNonNull(id, "id must not be null");
        return find(this.jdbc, id);
    }

    private Optional<RecurringJob> find(JdbcClient jdbc, String id) {
        return jdbc.sql("select " + COLUMNS + " from " + this.table + " where id = ?")
            .param(id)
            .query(JdbcRecurringJobStore::read)
            .optional();
    }

    @Override
    public List<RecurringJob> list() {
        return this.jdbc.sql("select " + COLUMNS + " from " + this.table + " order by id")
            .query(JdbcRecurringJobStore::read)
            .list();
    }

    @Override
    public List<RecurringJob> due(Instant now, int limit) {
        Objects.requireNonNull(now, "now must not be null");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, was " + limit);
        }
        return this.jdbc
            .sql("select " + COLUMNS + " from " + this.table + " where next_run_at <= ? order by next_run_at, id limit ?")
            .params(timestamp(now), limit)
            .query(JdbcRecurringJobStore::read)
            .list();
    }

    @Override
    public boolean advance(String id, Instant expected, Instant next) {
        Objects.requireNonNull(id, "id must not be null");
        return this.writes.apply((jdbc) -> jdbc
            .sql("update " + this.table + " set next_run_at = ? where id = ? and next_run_at = ?")
            .params(timestamp(next), id, timestamp(expected))
            .update()) == 1;
    }

    @Override
    public Optional<Enqueued> fire(String id, Instant expected, @Nullable JobId expectedLast, Instant next, NewJob job) {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(job, "job must not be null");
        String last = (expectedLast != null) ? expectedLast.toString() : "";
        Optional<Enqueued> fired = this.transactions.execute((status) -> {
            int moved = this.jdbc
                .sql("update " + this.table + " set next_run_at = ?, last_job_id = ?::uuid where id = ? "
                        + "and next_run_at = ? and last_job_id is not distinct from nullif(?, '')::uuid")
                .params(timestamp(next), job.id().toString(), id, timestamp(expected), last)
                .update();
            if (moved != 1) {
                return Optional.empty();
            }
            Enqueued enqueued = this.jobs.enqueue(job);
            if (!enqueued.job().id().equals(job.id())) {
                this.jdbc.sql("update " + this.table + " set last_job_id = ?::uuid where id = ?")
                    .params(enqueued.job().id().toString(), id)
                    .update();
            }
            return Optional.of(enqueued);
        });
        return Objects.requireNonNull(fired);
    }

    private static RecurringJob read(ResultSet row, int number) throws SQLException {
        String last = row.getString("last_job_id");
        return new RecurringJob(row.getString("id"), row.getString("type"), row.getString("payload"),
                Schedule.parse(row.getString("schedule")), MisfirePolicy.valueOf(row.getString("misfire_policy")),
                OverlapPolicy.valueOf(row.getString("overlap_policy")),
                RecurringJob.Origin.valueOf(row.getString("origin")),
                row.getObject("next_run_at", OffsetDateTime.class).toInstant(), (last != null) ? JobId.parse(last) : null);
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    @Override
    public String toString() {
        return "JdbcRecurringJobStore[" + this.table + "]";
    }
}
