package dev.quark.jobs.store.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import dev.quark.jdbc.JoiningWrites;
import dev.quark.jdbc.TablePrefix;
import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.WorkflowStatus;
import dev.quark.jobs.store.StoredWorkflow;
import dev.quark.jobs.store.WorkflowStore;
import org.jspecify.annotations.Nullable;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Keeps workflows in a PostgreSQL table, created by the jobs changelog ({@link JdbcJobStore#CHANGELOG}):
 * <pre>
 * {prefix}job_workflow (id uuid primary key, name, status, active boolean, version bigint, document text,
 *                       created_at, updated_at timestamptz)
 * </pre>
 * An update is one {@code update ... where id = :id and version = :expected}. Calls join the caller's Spring-managed
 * transaction on the same {@code DataSource} when there is one, so a workflow enqueued in a transaction exists, with
 * the jobs of its first steps, if and only if the transaction commits. Writes made while the caller's transaction is
 * ending (an {@code afterCompletion} callback, an {@code AFTER_COMMIT} listener) commit on a connection of their own
 * ({@link JoiningWrites}).
 */
public class JdbcWorkflowStore implements WorkflowStore {

    private static final String COLUMNS = "id, name, status, active, version, document, created_at, updated_at";

    private final JdbcClient jdbc;

    private final JoiningWrites writes;

    private final String table;

    /**
     * Creates a store.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table name, for instance {@code quark_}
     */
    public JdbcWorkflowStore(DataSource dataSource, TablePrefix tablePrefix) {
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.writes = new JoiningWrites(dataSource);
        this.jdbc = this.writes.jdbc();
        this.table = tablePrefix.table("job_workflow");
    }

    /**
     * Returns the name of the table.
     * @return the table name, with its prefix
     */
    public String table() {
        return this.table;
    }

    @Override
    public void create(StoredWorkflow workflow) {
        Objects.requireNonNull(workflow, "workflow must not be null");
        try {
            this.writes.apply((jdbc) -> jdbc
                .sql("insert into " + this.table + " (" + COLUMNS + ") values (?, ?, ?, ?, 1, ?, ?, ?)")
                .params(workflow.id().value(), workflow.name(), workflow.status().name(), workflow.active(),
                        workflow.document(), timestamp(workflow.createdAt()), timestamp(workflow.updatedAt()))
                .update());
        }
        catch (DuplicateKeyException ex) {
            throw new IllegalStateException("A workflow with id " + workflow.id() + " exists", ex);
        }
    }

    @Override
    public Optional<StoredWorkflow> find(WorkflowId id) {
        Objects.requireNonNull(id, "id must not be null");
        return this.jdbc.sql("select " + COLUMNS + " from " + this.table + " where id = ?")
            .param(id.value())
            .query(JdbcWorkflowStore::read)
            .optional();
    }

    @Override
    public boolean update(StoredWorkflow workflow, long expectedVersion) {
        Objects.requireNonNull(workflow, "workflow must not be null");
        return this.writes.apply((jdbc) -> jdbc
            .sql("update " + this.table + " set status = ?, active = ?, version = version + 1, document = ?, "
                    + "updated_at = ? where id = ? and version = ?")
            .params(workflow.status().name(), workflow.active(), workflow.document(), timestamp(workflow.updatedAt()),
                    workflow.id().value(), expectedVersion)
            .update()) == 1;
    }

    @Override
    public List<WorkflowId> active(@Nullable WorkflowId after, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, was " + limit);
        }
        UUID from = (after != null) ? after.value() : new UUID(0, 0);
        String inclusive = (after != null) ? ">" : ">=";
        return this.jdbc.sql("select id from " + this.table + " where active and id " + inclusive + " ? order by id limit ?")
            .params(from, limit)
            .query((row, number) -> new WorkflowId(row.getObject("id", UUID.class)))
            .list();
    }

    private static StoredWorkflow read(ResultSet row, int number) throws SQLException {
        return new StoredWorkflow(new WorkflowId(row.getObject("id", UUID.class)), row.getString("name"),
                WorkflowStatus.valueOf(row.getString("status")), row.getBoolean("active"), row.getLong("version"),
                row.getString("document"), row.getObject("created_at", OffsetDateTime.class).toInstant(),
                row.getObject("updated_at", OffsetDateTime.class).toInstant());
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    @Override
    public String toString() {
        return "JdbcWorkflowStore[" + this.table + "]";
    }
}
