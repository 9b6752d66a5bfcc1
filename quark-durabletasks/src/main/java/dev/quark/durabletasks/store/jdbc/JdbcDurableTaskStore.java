package dev.quark.durabletasks.store.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import javax.sql.DataSource;

import dev.quark.durabletasks.FailureDetails;
import dev.quark.durabletasks.OrchestrationQuery;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.history.ExecutionStarted;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.history.ParentInstance;
import dev.quark.durabletasks.store.ActivityWorkItem;
import dev.quark.durabletasks.store.ChildInstance;
import dev.quark.durabletasks.store.DurableTaskResources;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.HistoryConflictException;
import dev.quark.durabletasks.store.InstanceRecord;
import dev.quark.durabletasks.store.NewActivity;
import dev.quark.durabletasks.store.NewInstance;
import dev.quark.durabletasks.store.OrchestrationCommit;
import dev.quark.durabletasks.store.OrchestrationWorkItem;
import dev.quark.durabletasks.store.ReceivedMessage;
import dev.quark.durabletasks.store.StoreJson;
import dev.quark.durabletasks.store.TaskMessage;
import dev.quark.jdbc.LiquibaseMigration;
import dev.quark.jdbc.OwnTransactions;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.FencingToken;
import dev.quark.lease.LeaseLostException;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionOperations;

/**
 * Keeps durable tasks in four PostgreSQL tables, created by the Liquibase changelog {@value #CHANGELOG}:
 * <pre>
 * {prefix}durable_instance  one row per instance: status, execution, history_length, input, output, failure,
 *                           parent, created_at, updated_at, start_at, lease_token, custom_status
 * {prefix}durable_history   (instance_id, sequence) primary key, event_type, event (JSON)
 * {prefix}durable_message   id (identity), instance_id, execution, event_type, event (JSON), visible_at
 * {prefix}durable_activity  one row per queued call: id, instance, task, name, input, options, attempt,
 *                           scheduled_at, visible_at, lease_token
 * </pre>
 * A commit is one transaction of its own (never the caller's): it updates the instance row only {@code where
 * lease_token = ? and history_length = ?}, so that a stale token or another worker's append makes it change nothing
 * and roll back; the history's primary key refuses a second event at a sequence number besides. Claims stamp the
 * token on the instance or call row ({@code lease_token <= ?}), the pattern of {@code dev.quark.lease.jdbc.JdbcFencing}.
 * Visibility is compared with the instants callers pass, from their clock; instance ids are compared and ordered
 * byte-wise ({@code collate "C"}), as Java compares strings.
 */
public class JdbcDurableTaskStore implements DurableTaskStore {

    /** The class path location of the Liquibase changelog that creates the tables. */
    public static final String CHANGELOG = "db/changelog/quark/durabletasks.xml";

    private static final String FINAL = "('COMPLETED', 'FAILED', 'TERMINATED')";

    private static final String INSTANCE_COLUMNS = "instance_id, name, status, execution, history_length, input, output, "
            + "failure, parent_instance_id, parent_execution, parent_task_id, created_at, updated_at, start_at, custom_status, "
            + "orchestration_version";

    private static final String ACTIVITY_COLUMNS = "id, instance_id, execution, task_id, name, input, options, attempt, "
            + "scheduled_at, heartbeat_details";

    private final JdbcClient jdbc;

    private final TransactionOperations transactions;

    private final String instances;

    private final String history;

    private final String messages;

    private final String activities;

    /**
     * Creates a store.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table names, for instance {@code quark_}
     */
    public JdbcDurableTaskStore(DataSource dataSource, TablePrefix tablePrefix) {
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        OwnTransactions own = new OwnTransactions(dataSource);
        this.jdbc = own.jdbc();
        this.transactions = own.transactions();
        this.instances = tablePrefix.table("durable_instance");
        this.history = tablePrefix.table("durable_history");
        this.messages = tablePrefix.table("durable_message");
        this.activities = tablePrefix.table("durable_activity");
    }

    /**
     * Returns the migration that creates this store's tables.
     * @param tablePrefix the table prefix
     * @return the migration
     */
    public static LiquibaseMigration migration(TablePrefix tablePrefix) {
        return new LiquibaseMigration(CHANGELOG, tablePrefix);
    }

    /**
     * Returns the names of the tables.
     * @return instances, history, messages and activity calls, with their prefix
     */
    public List<String> tables() {
        return List.of(this.instances, this.history, this.messages, this.activities);
    }

    @Override
    public Optional<InstanceRecord> create(NewInstance instance) {
        return Objects.requireNonNull(this.transactions.execute((status) -> {
            if (insert(instance)) {
                return Optional.<InstanceRecord>empty();
            }
            return Optional.of(instance(instance.instanceId()).orElseThrow(() -> new IllegalStateException(
                    "Orchestration instance '" + instance.instanceId() + "' existed and vanished while being created")));
        }));
    }

    private boolean insert(NewInstance instance) {
        ParentInstance parent = instance.parent();
        int inserted = this.jdbc.sql("insert into " + this.instances + " (instance_id, name, status, execution, "
                + "history_length, input, parent_instance_id, parent_execution, parent_task_id, created_at, updated_at, "
                + "start_at, orchestration_version) values (?, ?, 'PENDING', 1, 0, ?, ?, ?, ?, ?, ?, ?, ?) "
                + "on conflict (instance_id) do nothing")
            .params(args(instance.instanceId(), instance.name(), instance.input(),
                    (parent != null) ? parent.instanceId() : null, (parent != null) ? parent.execution() : null,
                    (parent != null) ? parent.taskId() : null, timestamp(instance.createdAt()),
                    timestamp(instance.createdAt()), timestamp(instance.startAt()), instance.version()))
            .update();
        if (inserted == 0) {
            return false;
        }
        add(new TaskMessage(instance.instanceId(), 1,
                new ExecutionStarted(instance.createdAt(), instance.name(), instance.input(), parent, instance.version()),
                instance.startAt()));
        return true;
    }

    @Override
    public Optional<InstanceRecord> instance(String instanceId) {
        return this.jdbc.sql("select " + INSTANCE_COLUMNS + " from " + this.instances + " where instance_id = ?")
            .param(instanceId)
            .query((row, number) -> instance(row))
            .optional();
    }

    @Override
    public List<HistoryEvent> history(String instanceId) {
        return this.jdbc.sql("select event from " + this.history + " where instance_id = ? order by sequence")
            .param(instanceId)
            .query((row, number) -> StoreJson.readEvent(row.getString(1)))
            .list();
    }

    @Override
    public List<InstanceRecord> list(OrchestrationQuery query) {
        String[] statuses = query.statuses().stream().map(Enum::name).toArray(String[]::new);
        return this.jdbc.sql("select " + INSTANCE_COLUMNS + " from " + this.instances
                + " where (cardinality(?::text[]) = 0 or status = any(?::text[]))"
                + " and (?::text is null or instance_id collate \"C\" > ?::text)"
                + " and (?::text is null or name = ?::text)"
                + " and (?::timestamptz is null or created_at >= ?::timestamptz)"
                + " and (?::timestamptz is null or created_at < ?::timestamptz)"
                + " order by instance_id collate \"C\" limit ?")
            .params(args(statuses, statuses, query.afterInstanceId(), query.afterInstanceId(), query.name(),
                    query.name(), nullableTimestamp(query.createdFrom()), nullableTimestamp(query.createdFrom()),
                    nullableTimestamp(query.createdTo()), nullableTimestamp(query.createdTo()), query.limit()))
            .query((row, number) -> instance(row))
            .list();
    }

    @Override
    public Map<OrchestrationStatus, Long> countByStatus() {
        Map<OrchestrationStatus, Long> counts = new EnumMap<>(OrchestrationStatus.class);
        this.jdbc.sql("select status, count(*) from " + this.instances + " group by status")
            .query((row) -> {
                counts.put(OrchestrationStatus.valueOf(row.getString(1)), row.getLong(2));
            });
        return counts;
    }

    @Override
    public boolean send(TaskMessage message) {
        return this.jdbc.sql("insert into " + this.messages + " (instance_id, execution, event_type, event, visible_at) "
                + "select ?, ?, ?, ?, ? where exists (select 1 from " + this.instances
                + " where instance_id = ? and status not in " + FINAL + ")")
            .params(args(message.instanceId(), message.execution(), StoreJson.type(message.event()),
                    StoreJson.write(message.event()), timestamp(message.visibleAt()), message.instanceId()))
            .update() == 1;
    }

    @Override
    public boolean purge(String instanceId) {
        return Boolean.TRUE.equals(this.transactions.execute((status) -> {
            int deleted = this.jdbc.sql("delete from " + this.instances + " where instance_id = ? and status in " + FINAL)
                .param(instanceId)
                .update();
            if (deleted == 0) {
                return false;
            }
            for (String table : List.of(this.history, this.messages, this.activities)) {
                this.jdbc.sql("delete from " + table + " where instance_id = ?").param(instanceId).update();
            }
            return true;
        }));
    }

    @Override
    public List<String> dueInstances(Instant now, int limit) {
        return this.jdbc.sql("select m.instance_id from " + this.messages + " m join " + this.instances
                + " i on i.instance_id = m.instance_id where m.visible_at <= ? and i.start_at <= ?"
                + " and (i.status <> 'SUSPENDED' or m.event_type in ('ExecutionResumed', 'ExecutionTerminated'))"
                + " group by m.instance_id order by min(m.id) limit ?")
            .params(args(timestamp(now), timestamp(now), limit))
            .query((row, number) -> Objects.requireNonNull(row.getString(1)))
            .list();
    }

    @Override
    public Optional<OrchestrationWorkItem> claimInstance(String instanceId, FencingToken token, Instant now) {
        return Objects.requireNonNull(this.transactions.execute((status) -> {
            Optional<InstanceRecord> instance = this.jdbc
                .sql("update " + this.instances + " set lease_token = ? where instance_id = ?"
                        + " and (lease_token is null or lease_token <= ?) returning " + INSTANCE_COLUMNS)
                .params(args(token.value(), instanceId, token.value()))
                .query((row, number) -> instance(row))
                .optional();
            if (instance.isEmpty()) {
                return Optional.<OrchestrationWorkItem>empty();
            }
            List<ReceivedMessage> visible = this.jdbc.sql("select id, instance_id, execution, event, visible_at from "
                    + this.messages + " where instance_id = ? and visible_at <= ? order by id")
                .params(args(instanceId, timestamp(now)))
                .query((row, number) -> new ReceivedMessage(row.getLong(1), new TaskMessage(row.getString(2),
                        row.getInt(3), StoreJson.readEvent(row.getString(4)), instant(row, 5))))
                .list();
            return Optional.of(new OrchestrationWorkItem(instance.get(), token, history(instanceId), visible));
        }));
    }

    @Override
    public void commit(OrchestrationCommit commit) {
        this.transactions.executeWithoutResult((status) -> {
            int length = commit.continueAsNew() ? 0 : commit.expectedHistoryLength() + commit.events().size();
            FailureDetails failure = commit.failure();
            int updated = this.jdbc.sql("update " + this.instances + " set status = ?, output = ?, failure = ?, "
                    + "history_length = ?, updated_at = ?, execution = execution + ?, "
                    + "input = case when ? then ? else input end, custom_status = coalesce(?, custom_status) "
                    + "where instance_id = ? and lease_token = ? and history_length = ?")
                .params(args(commit.status().name(), commit.output(), (failure != null) ? StoreJson.write(failure) : null,
                        length, timestamp(commit.updatedAt()), commit.continueAsNew() ? 1 : 0, commit.continueAsNew(),
                        commit.nextInput(), commit.customStatus(), commit.instanceId(), commit.token().value(),
                        commit.expectedHistoryLength()))
                .update();
            if (updated == 0) {
                throw refusal(commit);
            }
            if (commit.continueAsNew()) {
                this.jdbc.sql("delete from " + this.history + " where instance_id = ?").param(commit.instanceId()).update();
            }
            int sequence = commit.expectedHistoryLength();
            for (HistoryEvent event : commit.events()) {
                this.jdbc.sql("insert into " + this.history + " (instance_id, sequence, event_type, event) "
                        + "values (?, ?, ?, ?)")
                    .params(args(commit.instanceId(), sequence++, StoreJson.type(event), StoreJson.write(event)))
                    .update();
            }
            if (!commit.consumedMessages().isEmpty()) {
                this.jdbc.sql("delete from " + this.messages + " where instance_id = ? and id = any(?::bigint[])")
                    .params(args(commit.instanceId(), commit.consumedMessages().toArray(Long[]::new)))
                    .update();
            }
            for (ChildInstance child : commit.children()) {
                if (!insert(child.instance())) {
                    addIfInstanceExists(child.ifExists());
                }
            }
            commit.messages().forEach(this::addIfInstanceExists);
            commit.activities().forEach(this::queue);
        });
    }

    private RuntimeException refusal(OrchestrationCommit commit) {
        Optional<Current> current = this.jdbc
            .sql("select lease_token, history_length from " + this.instances + " where instance_id = ?")
            .param(commit.instanceId())
            .query((row, number) -> new Current(nullableLong(row, 1), row.getInt(2)))
            .optional();
        if (current.isEmpty()) {
            return new HistoryConflictException(commit.instanceId(), commit.expectedHistoryLength(), -1);
        }
        Long token = current.get().token();
        if (token == null || token != commit.token().value()) {
            return new LeaseLostException(DurableTaskResources.instance(commit.instanceId()), commit.token(), null);
        }
        return new HistoryConflictException(commit.instanceId(), commit.expectedHistoryLength(),
                current.get().historyLength());
    }

    private void queue(NewActivity activity) {
        this.jdbc.sql("insert into " + this.activities + " (id, instance_id, execution, task_id, name, input, options, "
                + "attempt, scheduled_at, visible_at) values (?, ?, ?, ?, ?, ?, ?, 1, ?, ?) on conflict (id) do nothing")
            .params(args(activity.id(), activity.instanceId(), activity.execution(), activity.taskId(), activity.name(),
                    activity.input(), StoreJson.write(activity.options()), timestamp(activity.scheduledAt()),
                    timestamp(activity.scheduledAt())))
            .update();
    }

    @Override
    public List<String> dueActivities(Instant now, int limit) {
        return this.jdbc.sql("select id from " + this.activities + " where visible_at <= ? "
                + "order by visible_at, scheduled_at, id limit ?")
            .params(args(timestamp(now), limit))
            .query((row, number) -> Objects.requireNonNull(row.getString(1)))
            .list();
    }

    @Override
    public Optional<ActivityWorkItem> claimActivity(String activityId, FencingToken token, Instant now) {
        return this.jdbc.sql("update " + this.activities + " set lease_token = ? where id = ? and visible_at <= ? "
                + "and (lease_token is null or lease_token <= ?) returning " + ACTIVITY_COLUMNS)
            .params(args(token.value(), activityId, timestamp(now), token.value()))
            .query((row, number) -> new ActivityWorkItem(row.getString(1), token, row.getString(2), row.getInt(3),
                    row.getInt(4), row.getString(5), row.getString(6), StoreJson.readOptions(row.getString(7)),
                    row.getInt(8), instant(row, 9), row.getString(10)))
            .optional();
    }

    @Override
    public boolean completeActivity(String activityId, FencingToken token, TaskMessage outcome) {
        return Boolean.TRUE.equals(this.transactions.execute((status) -> {
            int deleted = this.jdbc.sql("delete from " + this.activities + " where id = ? and lease_token = ?")
                .params(args(activityId, token.value()))
                .update();
            if (deleted == 0) {
                return false;
            }
            send(outcome);
            return true;
        }));
    }

    @Override
    public boolean retryActivity(String activityId, FencingToken token, int nextAttempt, Instant visibleAt) {
        return this.jdbc.sql("update " + this.activities + " set attempt = ?, visible_at = ? "
                + "where id = ? and lease_token = ?")
            .params(args(nextAttempt, timestamp(visibleAt), activityId, token.value()))
            .update() == 1;
    }

    @Override
    public boolean recordHeartbeat(String activityId, FencingToken token, String details) {
        return this.jdbc.sql("update " + this.activities + " set heartbeat_details = ? where id = ? and lease_token = ?")
            .params(args(details, activityId, token.value()))
            .update() == 1;
    }

    private void add(TaskMessage message) {
        this.jdbc.sql("insert into " + this.messages + " (instance_id, execution, event_type, event, visible_at) "
                + "values (?, ?, ?, ?, ?)")
            .params(args(message.instanceId(), message.execution(), StoreJson.type(message.event()),
                    StoreJson.write(message.event()), timestamp(message.visibleAt())))
            .update();
    }

    private void addIfInstanceExists(TaskMessage message) {
        this.jdbc.sql("insert into " + this.messages + " (instance_id, execution, event_type, event, visible_at) "
                + "select ?, ?, ?, ?, ? where exists (select 1 from " + this.instances + " where instance_id = ?)")
            .params(args(message.instanceId(), message.execution(), StoreJson.type(message.event()),
                    StoreJson.write(message.event()), timestamp(message.visibleAt()), message.instanceId()))
            .update();
    }

    private static InstanceRecord instance(ResultSet row) throws SQLException {
        String failure = row.getString(8);
        String parentId = row.getString(9);
        ParentInstance parent = (parentId != null) ? new ParentInstance(parentId, row.getInt(10), row.getInt(11)) : null;
        return new InstanceRecord(row.getString(1), row.getString(2), OrchestrationStatus.valueOf(row.getString(3)),
                row.getInt(4), row.getInt(5), row.getString(6), row.getString(7),
                (failure != null) ? StoreJson.readFailure(failure) : null, parent, instant(row, 12), instant(row, 13),
                instant(row, 14), row.getString(15), row.getInt(16));
    }

    private static Instant instant(ResultSet row, int column) throws SQLException {
        OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
        if (value == null) {
            throw new IllegalStateException("Column " + column + " is null");
        }
        return value.toInstant();
    }

    private static @Nullable Long nullableLong(ResultSet row, int column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? null : value;
    }

    private static List<@Nullable Object> args(@Nullable Object... values) {
        return Arrays.asList(values);
    }

    private static @Nullable OffsetDateTime nullableTimestamp(@Nullable Instant instant) {
        return (instant != null) ? timestamp(instant) : null;
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    @Override
    public String toString() {
        return "JdbcDurableTaskStore[table " + this.instances + "]";
    }

    private record Current(@Nullable Long token, int historyLength) {
    }
}
