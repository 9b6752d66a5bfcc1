package dev.quark.jobs.store.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import javax.sql.DataSource;

import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.MisfirePolicy;
import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.Schedule;
import dev.quark.jobs.store.RecurringJobStore;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Keeps recurring jobs in a PostgreSQL table, created by the jobs changelog ({@link JdbcJobStore#CHANGELOG}):
 * <pre>
 * {prefix}recurring_job (id varchar(150) primary key, type, payload text, schedule text, misfire_policy,
 *                        next_run_at timestamptz)
 * </pre>
 * A save is one {@code insert ... on conflict (id) do update ... where} the definition differs; an advance one
 * {@code update ... where next_run_at = :expected}. Calls join the caller's Spring-managed transaction on the same
 * {@code DataSource} when there is one. Instants are kept to the microsecond.
 */
public class JdbcRecurringJobStore implements RecurringJobStore {

    private static final String COLUMNS = "id, type, payload, schedule, misfire_policy, next_run_at";

    private final JdbcClient jdbc;

    private final String table;

    private final String save;

    /**
     * Creates a store.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table name, for instance {@code quark_}
     */
    public JdbcRecurringJobStore(DataSource dataSource, TablePrefix tablePrefix) {
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.jdbc = JdbcClient.create(dataSource);
        this.table = tablePrefix.table("recurring_job");
        this.save = """
                insert into %1$s (%2$s) values (?, ?, ?, ?, ?, ?)
                on conflict (id) do update set type = excluded.type, payload = excluded.payload,
                    schedule = excluded.schedule, misfire_policy = excluded.misfire_policy,
                    next_run_at = excluded.next_run_at
                where (%1$s.type, %1$s.payload, %1$s.schedule, %1$s.misfire_policy)
                    is distinct from (excluded.type, excluded.payload, excluded.schedule, excluded.misfire_policy)
                """.formatted(this.table, COLUMNS);
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
        this.jdbc.sql(this.save)
            .params(job.id(), job.type(), job.payload(), job.schedule().text(), job.misfirePolicy().name(),
                    timestamp(job.nextRunAt()))
            .update();
        return find(job.id())
            .orElseThrow(() -> new IllegalStateException("Recurring job '" + job.id() + "' vanished while saved"));
    }

    @Override
    public boolean delete(String id) {
        Objects.requireNonNull(id, "id must not be null");
        return this.jdbc.sql("delete from " + this.table + " where id = ?").param(id).update() > 0;
    }

    @Override
    public Optional<RecurringJob> find(String id) {
        Objects.requireNonNull(id, "id must not be null");
        return this.jdbc.sql("select " + COLUMNS + " from " + this.table + " where id = ?")
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
        return this.jdbc.sql("update " + this.table + " set next_run_at = ? where id = ? and next_run_at = ?")
            .params(timestamp(next), id, timestamp(expected))
            .update() == 1;
    }

    private static RecurringJob read(ResultSet row, int number) throws SQLException {
        return new RecurringJob(row.getString("id"), row.getString("type"), row.getString("payload"),
                Schedule.parse(row.getString("schedule")), MisfirePolicy.valueOf(row.getString("misfire_policy")),
                row.getObject("next_run_at", OffsetDateTime.class).toInstant());
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    @Override
    public String toString() {
        return "JdbcRecurringJobStore[" + this.table + "]";
    }
}
