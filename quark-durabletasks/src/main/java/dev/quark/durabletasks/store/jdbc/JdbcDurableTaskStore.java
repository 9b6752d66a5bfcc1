package dev.quark.durabletasks.store.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

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
import dev.quark.durabletasks.store.RowLeases;
import dev.quark.durabletasks.store.StoreJson;
import dev.quark.durabletasks.store.TaskMessage;
import dev.quark.durabletasks.store.internal.LaterWorkNotices;
import dev.quark.jdbc.LiquibaseMigration;
import dev.quark.jdbc.OwnTransactions;
import dev.quark.jdbc.PostgresNotificationSender;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.FencingToken;
import dev.quark.lease.LeaseLostException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionOperations;

/**
 * Keeps durable tasks in four PostgreSQL tables, created by the Liquibase changelog {@value #CHANGELOG}:
 * <pre>
 * {prefix}durable_instance  one row per instance: status, execution, history_length, input, output, failure,
 *                           parent, created_at, updated_at, start_at, lease_token, lease_owner, lease_expires_at,
 *                           custom_status
 * {prefix}durable_history   (instance_id, sequence) primary key, event_type, event (JSON)
 * {prefix}durable_message   id (identity), instance_id, execution, event_type, event (JSON), visible_at
 * {prefix}durable_activity  one row per queued call: id, instance, task, name, input, options, attempt,
 *                           scheduled_at, visible_at, lease_token, lease_owner, lease_expires_at
 * {prefix}durable_lease_token  sequence of the tokens of {@link #rowLeases() row leases}
 * </pre>
 * A commit is one transaction of its own (never the caller's): it updates the instance row only {@code where
 * lease_token = ? and history_length = ?}, so that a stale token or another worker's append makes it change nothing
 * and roll back; the history's primary key refuses a second event at a sequence number besides. Claims stamp the
 * token on the instance or call row ({@code lease_token <= ?}), the pattern of {@code dev.quark.lease.jdbc.JdbcFencing}.
 * <p>
 * Workers lease work on these rows themselves ({@link #rowLeases()}): a claim is one statement that picks due rows
 * whose lease is free or expired with {@code for update skip locked} (concurrent claims skip each other's rows
 * instead of waiting), sets owner, expiry and a new token and returns them; an instance's history and visible
 * messages are then read for the whole batch in a second statement. The commit, the completion and the retry clear
 * the lease in the statement that writes them. A commit may also lease the activity calls it queues to the
 * committing worker ({@link #commitLeasingActivities}), in its own statement. Commits (without sub-orchestrations)
 * and activity completions are written in groups ({@link GroupedWrites}): one that finds none of its kind in flight is
 * written at once, and those that arrive meanwhile are written together in the next statement, each still fenced by
 * its own token and history length, so that a burst of them costs one statement and one WAL flush. Round trips per
 * orchestration step: a share of one claim and one read, and a share of a commit; per activity attempt: a share of
 * one claim (none for a call its step's commit leased), and a share of a completion. A lease's expiry is set and
 * compared on the server's clock ({@code clock_timestamp()}), so that workers whose clocks disagree never take over
 * each other's live work. Visibility is compared with the instants callers pass, from their clock; instance ids are
 * compared and ordered byte-wise ({@code collate "C"}), as Java compares strings.
 * <p>
 * <b>Notifications.</b> A store created with a {@link PostgresNotificationSender} notifies {@link #channel()} (payload
 * empty) once a write that makes work due for any worker has committed: an instance created to start at once, a
 * message sent, and a commit that queued activity calls it did not lease to its worker, sent messages or created
 * child instances. Workers listening ({@link PostgresDurableTaskWakeUps}) poll at once instead of at their next poll.
 * Work given back (a released instance or activity) is notified at most once per {@link #RELEASE_NOTICE_INTERVAL}
 * (later releases within it once at its end), so that a poison instance given back and claimed again in a loop does
 * not wake the cluster on every turn. A completed activity notifies nobody: the worker that completed it polls at
 * once itself. The store's writes commit
 * on their own, so the notification leaves right after the write; it is a hint, the poll the safety net.
 */
public class JdbcDurableTaskStore implements DurableTaskStore, RowLeases {

    /** The class path location of the Liquibase changelog that creates the tables. */
    public static final String CHANGELOG = "db/changelog/quark/durabletasks.xml";

    private static final Logger logger = LoggerFactory.getLogger(JdbcDurableTaskStore.class);

    /**
     * The least time between two notifications of work given back ({@link #releaseInstance}, {@link
     * #releaseActivity}): a poison instance, claimed and given back again at once, would otherwise wake every node on
     * every turn of its loop. A release within the interval is notified at its end.
     */
    static final Duration RELEASE_NOTICE_INTERVAL = Duration.ofMillis(250);

    /** The most steps' commits written in one statement ({@link GroupedWrites}). */
    static final int MAX_COMMITS_PER_STATEMENT = 32;

    /** The most activity completions written in one statement ({@link GroupedWrites}). */
    static final int MAX_COMPLETIONS_PER_STATEMENT = 256;

    private static final String FINAL = "('COMPLETED', 'FAILED', 'TERMINATED')";

    private static final String INSTANCE_COLUMNS = "instance_id, name, status, execution, history_length, input, output, "
            + "failure, parent_instance_id, parent_execution, parent_task_id, created_at, updated_at, start_at, custom_status, "
            + "orchestration_version";

    /**
     * The condition that the lease of a row, aliased by the argument, is free: none, or expired on the server's clock.
     */
    private static final String LEASE_FREE = "(%1$s.lease_expires_at is null "
            + "or %1$s.lease_expires_at <= clock_timestamp())";

    /** A lease's expiry, a duration in milliseconds (the parameter) from now on the server's clock. */
    private static final String LEASED_FOR = "clock_timestamp() + ?::bigint * interval '1 millisecond'";

    private static final String ACTIVITY_COLUMNS = "id, instance_id, execution, task_id, name, input, options, attempt, "
            + "scheduled_at, heartbeat_details";

    private final DataSource dataSource;

    private final JdbcClient jdbc;

    private final TransactionOperations transactions;

    private final String instances;

    private final String history;

    private final String messages;

    private final String activities;

    private final String tokens;

    private final String channel;

    private final @Nullable PostgresNotificationSender notifications;

    private final ThrottledNotice releaseNotice;

    private final LaterWorkNotices laterNotices = new LaterWorkNotices();

    private final GroupedWrites<CommitWrite, Written> commits = new GroupedWrites<>(MAX_COMMITS_PER_STATEMENT,
            this::writeAll, (write) -> writeAll(List.of(write)).get(0));

    private final GroupedWrites<Completion, Boolean> completions = new GroupedWrites<>(MAX_COMPLETIONS_PER_STATEMENT,
            this::completeAll, this::completeAlone);

    private final Clock clock;

    /**
     * Creates a store.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table names, for instance {@code quark_}
     */
    public JdbcDurableTaskStore(DataSource dataSource, TablePrefix tablePrefix) {
        this(dataSource, tablePrefix, null);
    }

    /**
     * Creates a store that may notify the workers of other nodes of new work.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table names, for instance {@code quark_}
     * @param notifications the sender of the notifications of writes that make work due ({@code pg_notify(}{@link
     * #channel()}{@code , '')}), or {@code null} for a store that does not notify; the store does not close it
     */
    public JdbcDurableTaskStore(DataSource dataSource, TablePrefix tablePrefix,
            @Nullable PostgresNotificationSender notifications) {
        this(dataSource, tablePrefix, notifications, Clock.systemUTC());
    }

    /**
     * Creates a store that may notify the workers of other nodes of new work, on the workers' clock.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table names, for instance {@code quark_}
     * @param notifications the sender of the notifications of writes that make work due ({@code pg_notify(}{@link
     * #channel()}{@code , '')}), or {@code null} for a store that does not notify; the store does not close it
     * @param clock the workers' clock, which tells whether a retried activity call is due now or later
     */
    public JdbcDurableTaskStore(DataSource dataSource, TablePrefix tablePrefix,
            @Nullable PostgresNotificationSender notifications, Clock clock) {
        this(dataSource, tablePrefix, notifications, RELEASE_NOTICE_INTERVAL, clock);
    }

    JdbcDurableTaskStore(DataSource dataSource, TablePrefix tablePrefix,
            @Nullable PostgresNotificationSender notifications, Duration releaseNoticeInterval) {
        this(dataSource, tablePrefix, notifications, releaseNoticeInterval, Clock.systemUTC());
    }

    JdbcDurableTaskStore(DataSource dataSource, TablePrefix tablePrefix,
            @Nullable PostgresNotificationSender notifications, Duration releaseNoticeInterval, Clock clock) {
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.dataSource = dataSource;
        OwnTransactions own = new OwnTransactions(dataSource);
        this.jdbc = own.jdbc();
        this.transactions = own.transactions();
        this.instances = tablePrefix.table("durable_instance");
        this.history = tablePrefix.table("durable_history");
        this.messages = tablePrefix.table("durable_message");
        this.activities = tablePrefix.table("durable_activity");
        this.tokens = tablePrefix.table("durable_lease_token");
        this.channel = tablePrefix.table("durable_work").toLowerCase(Locale.ROOT);
        this.notifications = notifications;
        this.releaseNotice = new ThrottledNotice(this::workDue, releaseNoticeInterval);
    }

    /**
     * Returns the database this store writes to, on which its notifications are to be listened to.
     * @return the {@code DataSource} it was created with
     */
    public DataSource dataSource() {
        return this.dataSource;
    }

    /**
     * Returns the channel this store notifies of new work when it has a sender: {@code durable_work} with the table
     * prefix, in lower case.
     * @return the channel
     */
    public String channel() {
        return this.channel;
    }

    /**
     * Returns whether writes that make work due notify {@link #channel()}.
     * @return whether it has a sender
     */
    public boolean notifying() {
        return this.notifications != null;
    }

    /** Tells the other workers that work was given back, at most once per {@link #RELEASE_NOTICE_INTERVAL}. */
    private void releaseNotice() {
        if (this.notifications != null) {
            this.releaseNotice.request();
        }
    }

    /**
     * Tells the other workers, as {@link #workDue} does, of a write of work visible later, unless a notice of work
     * visible before it is ahead ({@link LaterWorkNotices}): a worker woken finds none yet and looks when it becomes
     * visible ({@link #nextVisibleAfter}).
     */
    private void workDueLater(Instant visibleAt, Instant now) {
        if (this.notifications != null && this.laterNotices.tell(visibleAt, now)) {
            workDue();
        }
    }

    /** Tells the other workers, through the sender, that a committed write made work due. */
    private void workDue() {
        PostgresNotificationSender sender = this.notifications;
        if (sender != null) {
            sender.notifySoon(this.channel, "");
        }
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
        if (insert(instance)) {
            if (!instance.startAt().isAfter(instance.createdAt())) {
                workDue();
            }
            else {
                workDueLater(instance.startAt(), instance.createdAt());
            }
            return Optional.empty();
        }
        return Optional.of(instance(instance.instanceId()).orElseThrow(() -> new IllegalStateException(
                "Orchestration instance '" + instance.instanceId() + "' existed and vanished while being created")));
    }

    /**
     * Inserts an instance and its {@code ExecutionStarted} message in one statement (atomic on its own), unless an
     * instance has the id.
     */
    private boolean insert(NewInstance instance) {
        ParentInstance parent = instance.parent();
        ExecutionStarted started = new ExecutionStarted(instance.createdAt(), instance.name(), instance.input(), parent,
                instance.version());
        return this.jdbc.sql("with created as (insert into " + this.instances + " (instance_id, name, status, "
                + "execution, history_length, input, parent_instance_id, parent_execution, parent_task_id, created_at, "
                + "updated_at, start_at, orchestration_version) values (?, ?, 'PENDING', 1, 0, ?, ?, ?, ?, ?, ?, ?, ?) "
                + "on conflict (instance_id) do nothing returning instance_id), "
                + "started as (insert into " + this.messages + " (instance_id, execution, event_type, event, visible_at) "
                + "select instance_id, 1, ?, ?, ? from created) "
                + "select count(*) from created")
            .params(args(instance.instanceId(), instance.name(), instance.input(),
                    (parent != null) ? parent.instanceId() : null, (parent != null) ? parent.execution() : null,
                    (parent != null) ? parent.taskId() : null, timestamp(instance.createdAt()),
                    timestamp(instance.createdAt()), timestamp(instance.startAt()), instance.version(),
                    StoreJson.type(started), StoreJson.write(started), timestamp(instance.startAt())))
            .query(Long.class)
            .single() == 1;
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
        boolean sent = this.jdbc.sql("insert into " + this.messages + " (instance_id, execution, event_type, event, visible_at) "
                + "select ?, ?, ?, ?, ? where exists (select 1 from " + this.instances
                + " where instance_id = ? and status not in " + FINAL + ")")
            .params(args(message.instanceId(), message.execution(), StoreJson.type(message.event()),
                    StoreJson.write(message.event()), timestamp(message.visibleAt()), message.instanceId()))
            .update() == 1;
        if (sent) {
            workDue();
        }
        return sent;
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
        // Two statements, no transaction: the stamp commits at once, and what the second statement reads is at
        // least as new as the stamp. Should a newer claim stamp the instance in between, this claim's commit is
        // refused whatever it read (its token is no longer the instance's).
        Optional<InstanceRecord> instance = this.jdbc
            .sql("update " + this.instances + " set lease_token = ? where instance_id = ?"
                    + " and (lease_token is null or lease_token <= ?) returning " + INSTANCE_COLUMNS)
            .params(args(token.value(), instanceId, token.value()))
            .query((row, number) -> instance(row))
            .optional();
        if (instance.isEmpty()) {
            return Optional.empty();
        }
        List<HistoryEvent> events = new ArrayList<>();
        List<ReceivedMessage> visible = new ArrayList<>();
        this.jdbc.sql("select 0, sequence, 0, event, null::timestamptz from " + this.history + " where instance_id = ? "
                + "union all select 1, id, execution, event, visible_at from " + this.messages
                + " where instance_id = ? and visible_at <= ? order by 1, 2")
            .params(args(instanceId, instanceId, timestamp(now)))
            .query((row) -> {
                if (row.getInt(1) == 0) {
                    events.add(StoreJson.readEvent(row.getString(4)));
                }
                else {
                    visible.add(new ReceivedMessage(row.getLong(2), new TaskMessage(instanceId, row.getInt(3),
                            StoreJson.readEvent(row.getString(4)), instant(row, 5))));
                }
            });
        return Optional.of(new OrchestrationWorkItem(instance.get(), token, events, visible));
    }

    /**
     * Writes a commit in one statement when it creates no sub-orchestration: the instance's update and, only when it
     * matched ({@code exists (select 1 from updated)}), the history's deletion or append, the consumed messages'
     * deletion and the inserts of the new messages and activity calls, each row list passed as arrays
     * ({@code unnest}). One statement is one implicit transaction: all of it or nothing. A commit with children runs
     * in a transaction: that statement without the messages, then the children, then the messages (which may be
     * addressed to a child).
     */
    @Override
    public void commit(OrchestrationCommit commit) {
        commit(commit, ActivityLeases.NONE);
    }

    @Override
    public List<ActivityWorkItem> commitLeasingActivities(OrchestrationCommit commit, String owner,
            Duration leaseDuration, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("The most activity calls to lease must not be negative, was " + limit);
        }
        return commit(commit, new ActivityLeases(owner, leaseDuration.toMillis(), limit));
    }

    private List<ActivityWorkItem> commit(OrchestrationCommit commit, ActivityLeases leases) {
        List<ActivityWorkItem> leased = written(commit, leases);
        if (leased.size() < commit.activities().size() || !commit.children().isEmpty() || commit.messages()
            .stream()
            .anyMatch((message) -> !message.visibleAt().isAfter(commit.updatedAt()))) {
            workDue();
        }
        else {
            // Timers are messages to the instance itself, visible later.
            commit.messages()
                .stream()
                .map(TaskMessage::visibleAt)
                .min(Comparator.naturalOrder())
                .ifPresent((visibleAt) -> workDueLater(visibleAt, commit.updatedAt()));
        }
        return leased;
    }

    private List<ActivityWorkItem> written(OrchestrationCommit commit, ActivityLeases leases) {
        if (commit.children().isEmpty()) {
            return leased(commit, this.commits.write(new CommitWrite(commit, commit.messages(), leases)));
        }
        return Objects.requireNonNull(this.transactions.execute((status) -> {
            Written written = write(commit, List.of(), leases);
            List<ActivityWorkItem> leased = leased(commit, written);
            for (ChildInstance child : commit.children()) {
                if (!insert(child.instance())) {
                    addIfInstanceExists(List.of(child.ifExists()));
                }
            }
            addIfInstanceExists(commit.messages());
            return leased;
        }));
    }

    /** The calls a written commit leased, or the refusal of a commit that matched nothing. */
    private List<ActivityWorkItem> leased(OrchestrationCommit commit, Written written) {
        if (!written.matched()) {
            throw refusal(commit);
        }
        if (written.tokens().isEmpty()) {
            return List.of();
        }
        List<ActivityWorkItem> items = new ArrayList<>(written.tokens().size());
        for (NewActivity activity : commit.activities()) {
            Long token = written.tokens().get(activity.id());
            if (token != null) {
                items.add(new ActivityWorkItem(activity.id(), new FencingToken(token), activity.instanceId(),
                        activity.execution(), activity.taskId(), activity.name(), activity.input(), activity.options(),
                        1, activity.scheduledAt(), null));
            }
        }
        return items;
    }

    private Written write(OrchestrationCommit commit, List<TaskMessage> messages, ActivityLeases leases) {
        return writeAll(List.of(new CommitWrite(commit, messages, leases))).get(0);
    }

    /**
     * Writes commits in one statement, each as if alone: every row list of every commit passed as arrays
     * ({@code unnest}) with the number of its commit in the batch ({@code k}), the instances locked in key order (as
     * renewals lock them: no deadlock between two statements that share rows), then each instance updated only for
     * its commit's token and expected history length, and each commit's history deletion or append, consumed messages,
     * new messages and activity calls written only when its own update matched ({@code join updated}). A commit that
     * matched nothing writes nothing and leaves the others of the batch alone. One statement is one implicit
     * transaction and one WAL flush.
     */
    private List<Written> writeAll(List<CommitWrite> batch) {
        CommitColumns columns = new CommitColumns(batch);
        Map<Integer, Boolean> matched = new LinkedHashMap<>();
        Map<String, Long> tokens = new LinkedHashMap<>();
        this.jdbc.sql("with c as (select * from unnest(?::int[], ?::text[], ?::bigint[], ?::int[], ?::text[], ?::text[], "
                + "?::text[], ?::int[], ?::text[], ?::int[], ?::boolean[], ?::text[], ?::text[], ?::int[]) as c(k, "
                + "instance_id, token, expected, status, output, failure, length, updated_at, execution_step, renewed, "
                + "next_input, custom_status, version)), "
                + "locked as (select lk.instance_id from " + this.instances + " lk where lk.instance_id = any(?::text[]) "
                + "order by lk.instance_id for update of lk), "
                + "updated as (update " + this.instances + " i set status = c.status, output = c.output, "
                + "failure = c.failure, history_length = c.length, updated_at = c.updated_at::timestamptz, "
                + "execution = i.execution + c.execution_step, "
                + "input = case when c.renewed then c.next_input else i.input end, "
                + "custom_status = coalesce(c.custom_status, i.custom_status), "
                + "orchestration_version = coalesce(c.version, i.orchestration_version), lease_owner = null, "
                + "lease_expires_at = null from c where i.instance_id = any(array(select instance_id from locked)) "
                + "and i.instance_id = c.instance_id and i.lease_token = c.token and i.history_length = c.expected "
                + "returning c.k, c.instance_id, c.renewed), "
                + "cleared as (delete from " + this.history + " h where ?::boolean "
                + "and h.instance_id = any(array(select instance_id from updated where renewed))), "
                + "appended as (insert into " + this.history + " (instance_id, sequence, event_type, event) "
                + "select u.instance_id, h.sequence, h.event_type, h.event from unnest(?::int[], ?::int[], ?::text[], "
                + "?::text[]) as h(k, sequence, event_type, event) join updated u on u.k = h.k), "
                + "consumed as (delete from " + this.messages + " m using unnest(?::int[], ?::bigint[]) as x(k, id) "
                + "join updated u on u.k = x.k where m.id = any(?::bigint[]) and m.id = x.id "
                + "and m.instance_id = u.instance_id), "
                + "sent as (insert into " + this.messages + " (instance_id, execution, event_type, event, visible_at) "
                + "select m.instance_id, m.execution, m.event_type, m.event, m.visible_at::timestamptz "
                + "from unnest(?::int[], ?::text[], ?::int[], ?::text[], ?::text[], ?::text[]) with ordinality "
                + "as m(k, instance_id, execution, event_type, event, visible_at, n) join updated u on u.k = m.k "
                + "where exists (select 1 from " + this.instances + " t where t.instance_id = m.instance_id) "
                + "order by m.n), "
                + "queued as (insert into " + this.activities + " (id, instance_id, execution, task_id, name, input, "
                + "options, attempt, scheduled_at, visible_at, lease_token, lease_owner, lease_expires_at) "
                + "select a.id, a.instance_id, a.execution, a.task_id, a.name, a.input, a.options, 1, "
                + "a.scheduled_at::timestamptz, a.scheduled_at::timestamptz, "
                + "case when a.leased then nextval('" + this.tokens + "') end, case when a.leased then a.owner end, "
                + "case when a.leased then clock_timestamp() + a.lease_millis * interval '1 millisecond' end "
                + "from unnest(?::int[], ?::text[], ?::text[], ?::int[], ?::int[], ?::text[], ?::text[], ?::text[], "
                + "?::text[], ?::boolean[], ?::text[], ?::bigint[]) with ordinality as a(k, id, instance_id, execution, "
                + "task_id, name, input, options, scheduled_at, leased, owner, lease_millis, n) "
                + "join updated u on u.k = a.k order by a.n on conflict (id) do nothing returning id, lease_token) "
                + "select u.k, null, null::bigint from updated u "
                + "union all select null, q.id, q.lease_token from queued q where q.lease_token is not null")
            .params(columns.params())
            .query((row) -> {
                int k = row.getInt(1);
                if (!row.wasNull()) {
                    matched.put(k, true);
                }
                else {
                    tokens.put(Objects.requireNonNull(row.getString(2)), row.getLong(3));
                }
            });
        List<Written> written = new ArrayList<>(batch.size());
        for (int k = 0; k < batch.size(); k++) {
            Map<String, Long> leased = new LinkedHashMap<>();
            for (NewActivity activity : batch.get(k).commit().activities()) {
                Long token = tokens.get(activity.id());
                if (token != null) {
                    leased.put(activity.id(), token);
                }
            }
            written.add(new Written(matched.containsKey(k + 1), leased));
        }
        return written;
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

    /**
     * {@inheritDoc}
     * <p>
     * The earliest {@code visible_at} after {@code now} of the messages (a delayed start's first message is visible at
     * the start) and of the activity calls, each on its {@code visible_at} index.
     */
    @Override
    public Optional<Instant> nextVisibleAfter(Instant now) {
        OffsetDateTime at = timestamp(now);
        return this.jdbc.sql("select least((select min(visible_at) from " + this.messages + " where visible_at > ?), "
                + "(select min(visible_at) from " + this.activities + " where visible_at > ?))")
            .params(args(at, at))
            .query((row, number) -> Optional.ofNullable(row.getObject(1, OffsetDateTime.class)))
            .list()
            .stream()
            .flatMap(Optional::stream)
            .map(OffsetDateTime::toInstant)
            .findFirst();
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
            .query((row, number) -> activity(row, token))
            .optional();
    }

    @Override
    public boolean completeActivity(String activityId, FencingToken token, TaskMessage outcome) {
        return this.completions.write(new Completion(activityId, token, outcome));
    }

    /** Returns how many commits wait for the ones being written; for tests. */
    int queuedCommits() {
        return this.commits.queued();
    }

    /** Returns how many completions wait for the ones being written; for tests. */
    int queuedCompletions() {
        return this.completions.queued();
    }

    /**
     * Records one completion in one statement, atomic on its own: the call's deletion and, only when it deleted the
     * call, the outcome's insert (for an instance that has not finished, as send does).
     */
    private boolean completeAlone(Completion completion) {
        TaskMessage outcome = completion.outcome();
        return this.jdbc.sql("with done as (delete from " + this.activities + " where id = ? and lease_token = ? "
                + "returning id), recorded as (insert into " + this.messages + " (instance_id, execution, event_type, "
                + "event, visible_at) select ?, ?, ?, ?, ? from done where exists (select 1 from " + this.instances
                + " where instance_id = ? and status not in " + FINAL + ")) select count(*) from done")
            .params(args(completion.activityId(), completion.token().value(), outcome.instanceId(), outcome.execution(),
                    StoreJson.type(outcome.event()), StoreJson.write(outcome.event()), timestamp(outcome.visibleAt()),
                    outcome.instanceId()))
            .query(Long.class)
            .single() == 1;
    }

    /**
     * Records the completions that queued while another was written in one statement (see {@link GroupedWrites}):
     * each call deleted if it still holds its token, its rows locked in key order as renewals lock them (two
     * statements that lock rows they share in different orders could deadlock), and each deleted call's outcome
     * inserted in the batch's order, for an instance that has not finished.
     */
    private List<Boolean> completeAll(List<Completion> batch) {
        int size = batch.size();
        String[] ids = new String[size];
        Long[] tokens = new Long[size];
        List<TaskMessage> outcomes = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            ids[i] = batch.get(i).activityId();
            tokens[i] = batch.get(i).token().value();
            outcomes.add(batch.get(i).outcome());
        }
        MessageColumns sent = new MessageColumns(outcomes);
        Set<Completed> deleted = new HashSet<>(this.jdbc.sql("with done as (delete from " + this.activities + " a using ("
                + lockedInKeyOrder(this.activities, "id") + ") r where a.id = r.id returning a.id, a.lease_token), "
                + "recorded as (insert into " + this.messages + " (instance_id, execution, event_type, event, visible_at) "
                + "select m.instance_id, m.execution, m.event_type, m.event, m.visible_at::timestamptz "
                + "from unnest(?::text[], ?::bigint[], ?::text[], ?::int[], ?::text[], ?::text[], ?::text[]) "
                + "with ordinality as m(id, token, instance_id, execution, event_type, event, visible_at, n) "
                + "join done d on d.id = m.id and d.lease_token = m.token where exists (select 1 from " + this.instances
                + " i where i.instance_id = m.instance_id and i.status not in " + FINAL + ") order by m.n) "
                + "select id, lease_token from done")
            .params(args(ids, tokens, ids, tokens, sent.instanceIds, sent.executions, sent.eventTypes, sent.events,
                    sent.visibleAt))
            .query((row, number) -> new Completed(Objects.requireNonNull(row.getString(1)), row.getLong(2)))
            .list());
        List<Boolean> results = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            results.add(deleted.contains(new Completed(ids[i], tokens[i])));
        }
        return results;
    }

    @Override
    public boolean retryActivity(String activityId, FencingToken token, int nextAttempt, Instant visibleAt) {
        boolean retried = this.jdbc.sql("update " + this.activities + " set attempt = ?, visible_at = ?, "
                + "lease_owner = null, lease_expires_at = null where id = ? and lease_token = ?")
            .params(args(nextAttempt, timestamp(visibleAt), activityId, token.value()))
            .update() == 1;
        Instant now = this.clock.instant();
        if (retried && !visibleAt.isAfter(now)) {
            // Retried at once: another worker may take it now.
            workDue();
        }
        else if (retried) {
            workDueLater(visibleAt, now);
        }
        return retried;
    }

    @Override
    public boolean recordHeartbeat(String activityId, FencingToken token, String details) {
        return this.jdbc.sql("update " + this.activities + " set heartbeat_details = ? where id = ? and lease_token = ?")
            .params(args(details, activityId, token.value()))
            .update() == 1;
    }

    @Override
    public Optional<RowLeases> rowLeases() {
        return Optional.of(this);
    }

    @Override
    public List<OrchestrationWorkItem> claimInstances(String owner, Instant now, Duration leaseDuration, int limit) {
        // Due instances: those with a visible message (a suspended one only for a resumption or a termination), whose
        // start time has come and whose lease is free; the oldest message first, locked rows skipped. The claim
        // commits at once: from then on, whatever fails frees the leases it took (all of them when the read fails,
        // an unreadable instance's alone otherwise), so that no failure holds healthy work for a lease's duration.
        List<Claimed> claimed = this.jdbc.sql("with due as (select m.instance_id, min(m.id) as first, "
                + "bool_or(m.event_type in ('ExecutionResumed', 'ExecutionTerminated')) as wakes from " + this.messages
                + " m where m.visible_at <= ? group by m.instance_id), "
                + "picked as (select i.instance_id, d.first from " + this.instances + " i join due d "
                + "on d.instance_id = i.instance_id where i.start_at <= ? and (i.status <> 'SUSPENDED' or d.wakes) "
                + "and " + LEASE_FREE.formatted("i") + " order by d.first limit ? "
                + "for update of i skip locked) "
                + "update " + this.instances + " i set lease_token = " + nextToken("i") + ", lease_owner = ?, "
                + "lease_expires_at = " + LEASED_FOR + " from picked p where i.instance_id = p.instance_id returning "
                + prefixed("i", INSTANCE_COLUMNS) + ", i.lease_token, p.first")
            .params(args(timestamp(now), timestamp(now), limit, owner, leaseDuration.toMillis()))
            .query((row, number) -> claimed(row))
            .list()
            .stream()
            .sorted(Comparator.comparingLong(Claimed::first))
            .toList();
        if (claimed.isEmpty()) {
            return List.of();
        }
        Map<String, FencingToken> tokens = new LinkedHashMap<>();
        claimed.forEach((each) -> tokens.put(each.instanceId(), new FencingToken(each.token())));
        List<StoredEvent> stored;
        try {
            stored = readWork(tokens.keySet().toArray(String[]::new), now);
        }
        catch (RuntimeException ex) {
            releaseAll(this.instances, "instance_id", tokens, ex);
            throw ex;
        }
        Map<String, List<StoredEvent>> byInstance = new LinkedHashMap<>();
        stored.forEach((each) -> byInstance.computeIfAbsent(each.instanceId(), (id) -> new ArrayList<>()).add(each));
        List<OrchestrationWorkItem> items = new ArrayList<>(claimed.size());
        Map<String, FencingToken> unreadable = new LinkedHashMap<>();
        for (Claimed each : claimed) {
            FencingToken token = Objects.requireNonNull(tokens.get(each.instanceId()));
            try {
                items.add(workItem(each, token, byInstance.getOrDefault(each.instanceId(), List.of())));
            }
            catch (RuntimeException ex) {
                logger.warn("Orchestration instance '{}' could not be read; its lease is freed and its messages stay "
                        + "for the next step", each.instanceId(), ex);
                unreadable.put(each.instanceId(), token);
            }
        }
        releaseAll(this.instances, "instance_id", unreadable, null);
        return items;
    }

    private Claimed claimed(ResultSet row) throws SQLException {
        String instanceId = Objects.requireNonNull(row.getString(1));
        long token = row.getLong(17);
        long first = row.getLong(18);
        try {
            return new Claimed(instanceId, instance(row), null, token, first);
        }
        catch (RuntimeException ex) {
            return new Claimed(instanceId, null, ex, token, first);
        }
    }

    private List<StoredEvent> readWork(String[] ids, Instant now) {
        return this.jdbc.sql("select 0, instance_id, sequence, 0, event, null::timestamptz from " + this.history
                + " where instance_id = any(?::text[]) union all select 1, instance_id, id, execution, event, "
                + "visible_at from " + this.messages + " where instance_id = any(?::text[]) and visible_at <= ? "
                + "order by 2, 1, 3")
            .params(args(ids, ids, timestamp(now)))
            .query((row, number) -> {
                OffsetDateTime visibleAt = row.getObject(6, OffsetDateTime.class);
                return new StoredEvent(row.getInt(1) == 0, Objects.requireNonNull(row.getString(2)), row.getLong(3),
                        row.getInt(4), row.getString(5), (visibleAt != null) ? visibleAt.toInstant() : null);
            })
            .list();
    }

    private static OrchestrationWorkItem workItem(Claimed claimed, FencingToken token, List<StoredEvent> stored) {
        RuntimeException unreadable = claimed.unreadable();
        if (unreadable != null) {
            throw unreadable;
        }
        List<HistoryEvent> history = new ArrayList<>();
        List<ReceivedMessage> visible = new ArrayList<>();
        for (StoredEvent each : stored) {
            HistoryEvent event = StoreJson.readEvent(Objects.requireNonNull(each.json()));
            if (each.history()) {
                history.add(event);
            }
            else {
                visible.add(new ReceivedMessage(each.id(), new TaskMessage(each.instanceId(), each.execution(), event,
                        Objects.requireNonNull(each.visibleAt()))));
            }
        }
        return new OrchestrationWorkItem(Objects.requireNonNull(claimed.instance()), token, history, visible);
    }

    @Override
    public List<ActivityWorkItem> claimActivities(String owner, Instant now, Duration leaseDuration, int limit) {
        // As claimInstances: a call that cannot be read is not handed over, and its lease is freed.
        Map<String, FencingToken> unreadable = new LinkedHashMap<>();
        List<Optional<ActivityWorkItem>> claimed = this.jdbc.sql("with picked as (select id from " + this.activities
                + " a where a.visible_at <= ? and " + LEASE_FREE.formatted("a") + " "
                + "order by visible_at, scheduled_at, id limit ? for update skip locked) "
                + "update " + this.activities + " a set lease_token = " + nextToken("a") + ", lease_owner = ?, "
                + "lease_expires_at = " + LEASED_FOR + " from picked p where a.id = p.id returning "
                + prefixed("a", ACTIVITY_COLUMNS) + ", a.lease_token")
            .params(args(timestamp(now), limit, owner, leaseDuration.toMillis()))
            .query((row, number) -> {
                String id = Objects.requireNonNull(row.getString(1));
                FencingToken token = new FencingToken(row.getLong(11));
                try {
                    return Optional.of(activity(row, token));
                }
                catch (RuntimeException ex) {
                    logger.warn("Activity call '{}' could not be read; its lease is freed", id, ex);
                    unreadable.put(id, token);
                    return Optional.<ActivityWorkItem>empty();
                }
            })
            .list();
        releaseAll(this.activities, "id", unreadable, null);
        return claimed.stream().flatMap(Optional::stream).toList();
    }

    /**
     * Frees the leases a claim took and cannot hand over; a failure to do so is logged, since the leases expire on
     * their own.
     */
    private void releaseAll(String table, String key, Map<String, FencingToken> held, @Nullable RuntimeException cause) {
        if (held.isEmpty()) {
            return;
        }
        String[] ids = held.keySet().toArray(String[]::new);
        Long[] tokens = held.values().stream().map(FencingToken::value).toArray(Long[]::new);
        try {
            this.jdbc.sql("update " + table + " t set lease_owner = null, lease_expires_at = null from ("
                    + lockedInKeyOrder(table, key) + ") as r where t." + key + " = r.id and t.lease_token = r.token")
                .params(args(ids, tokens))
                .update();
        }
        catch (RuntimeException ex) {
            if (cause != null) {
                cause.addSuppressed(ex);
            }
            logger.warn("Could not free the leases on {} (in {}) claimed and not handed over; they expire on their own",
                    held.keySet(), table, ex);
        }
    }

    @Override
    public Set<String> renewInstances(Map<String, FencingToken> held, Duration leaseDuration) {
        return renew(this.instances, "instance_id", held, leaseDuration);
    }

    @Override
    public Set<String> renewActivities(Map<String, FencingToken> held, Duration leaseDuration) {
        return renew(this.activities, "id", held, leaseDuration);
    }

    private Set<String> renew(String table, String key, Map<String, FencingToken> held, Duration leaseDuration) {
        if (held.isEmpty()) {
            return Set.of();
        }
        String[] ids = held.keySet().toArray(String[]::new);
        Long[] tokens = held.values().stream().map(FencingToken::value).toArray(Long[]::new);
        return new HashSet<>(this.jdbc.sql("update " + table + " t set lease_expires_at = " + LEASED_FOR
                + " from (" + lockedInKeyOrder(table, key) + ") as r where t." + key + " = r.id "
                + "and t.lease_token = r.token and t.lease_expires_at is not null returning t." + key)
            .params(args(leaseDuration.toMillis(), ids, tokens))
            .query((row, number) -> Objects.requireNonNull(row.getString(1)))
            .list());
    }

    /**
     * Returns a query that locks the rows of an array of keys and lease tokens ({@code ?::text[]}, {@code ?::bigint[]})
     * {@code FOR UPDATE} in key order, returning their {@code id} and {@code token}: the source of every statement
     * that renews or frees many row leases. Two of them over overlapping rows then lock the rows they share in the
     * same order and never deadlock, whatever order their callers gave (renewals of the same rows in opposite orders
     * did: "deadlock detected"). Only the rows still holding the given token are locked. Claims lock
     * {@code SKIP LOCKED} and never wait.
     * @param table the instance or activity table
     * @param key the table's key column
     * @return the query
     */
    static String lockedInKeyOrder(String table, String key) {
        return "select lk." + key + " as id, lk.lease_token as token from " + table + " lk join unnest(?::text[], "
                + "?::bigint[]) as k(id, token) on lk." + key + " = k.id and lk.lease_token = k.token order by lk." + key
                + " for update of lk";
    }

    @Override
    public void releaseInstance(String instanceId, FencingToken token) {
        if (this.jdbc.sql("update " + this.instances + " set lease_owner = null, lease_expires_at = null "
                + "where instance_id = ? and lease_token = ?")
            .params(args(instanceId, token.value()))
            .update() == 1) {
            // Work given back (a worker stopping, or a step that failed before writing): another worker may take
            // it now.
            releaseNotice();
        }
    }

    @Override
    public void releaseActivity(String activityId, FencingToken token) {
        if (this.jdbc.sql("update " + this.activities + " set lease_owner = null, lease_expires_at = null "
                + "where id = ? and lease_token = ?")
            .params(args(activityId, token.value()))
            .update() == 1) {
            releaseNotice();
        }
    }

    /** A new token for a row: from the sequence, and greater than the row's, which a lease store may have set. */
    private String nextToken(String alias) {
        return "greatest(nextval('" + this.tokens + "'), coalesce(" + alias + ".lease_token, 0) + 1)";
    }

    private static String prefixed(String alias, String columns) {
        return alias + "." + columns.replace(", ", ", " + alias + ".");
    }

    private static ActivityWorkItem activity(ResultSet row, FencingToken token) throws SQLException {
        return new ActivityWorkItem(row.getString(1), token, row.getString(2), row.getInt(3), row.getInt(4),
                row.getString(5), row.getString(6), StoreJson.readOptions(row.getString(7)), row.getInt(8),
                instant(row, 9), row.getString(10));
    }

    private void addIfInstanceExists(List<TaskMessage> messages) {
        if (messages.isEmpty()) {
            return;
        }
        MessageColumns sent = new MessageColumns(messages);
        this.jdbc.sql(sent.insert(this.messages, this.instances, " true"))
            .params(args(sent.instanceIds, sent.executions, sent.eventTypes, sent.events, sent.visibleAt))
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

    /** A commit to write, with the messages to write with it and the activity calls to lease. */
    private record CommitWrite(OrchestrationCommit commit, List<TaskMessage> messages, ActivityLeases leases) {
    }

    /**
     * A batch of commits as one array per column, numbered from 1 in the batch ({@code k}), and the rows of each (its
     * events, consumed messages, new messages and activity calls) as arrays that carry their commit's number.
     */
    private static final class CommitColumns {

        private final List<@Nullable Object> params = new ArrayList<>();

        CommitColumns(List<CommitWrite> batch) {
            int size = batch.size();
            Integer[] ks = new Integer[size];
            String[] instanceIds = new String[size];
            Long[] tokens = new Long[size];
            Integer[] expected = new Integer[size];
            String[] statuses = new String[size];
            @Nullable String[] outputs = new String[size];
            @Nullable String[] failures = new String[size];
            Integer[] lengths = new Integer[size];
            String[] updatedAt = new String[size];
            Integer[] executionSteps = new Integer[size];
            Boolean[] renewed = new Boolean[size];
            @Nullable String[] nextInputs = new String[size];
            @Nullable String[] customStatuses = new String[size];
            @Nullable Integer[] versions = new Integer[size];
            List<Integer> eventKs = new ArrayList<>();
            List<Integer> sequences = new ArrayList<>();
            List<String> eventTypes = new ArrayList<>();
            List<String> eventJson = new ArrayList<>();
            List<Integer> consumedKs = new ArrayList<>();
            List<Long> consumed = new ArrayList<>();
            List<Integer> sentKs = new ArrayList<>();
            List<TaskMessage> sent = new ArrayList<>();
            List<Integer> callKs = new ArrayList<>();
            List<NewActivity> calls = new ArrayList<>();
            List<Boolean> leased = new ArrayList<>();
            List<@Nullable String> owners = new ArrayList<>();
            List<Long> leaseMillis = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                int k = i + 1;
                OrchestrationCommit commit = batch.get(i).commit();
                ActivityLeases leases = batch.get(i).leases();
                FailureDetails failure = commit.failure();
                ks[i] = k;
                instanceIds[i] = commit.instanceId();
                tokens[i] = commit.token().value();
                expected[i] = commit.expectedHistoryLength();
                statuses[i] = commit.status().name();
                outputs[i] = commit.output();
                failures[i] = (failure != null) ? StoreJson.write(failure) : null;
                lengths[i] = commit.continueAsNew() ? 0 : commit.expectedHistoryLength() + commit.events().size();
                updatedAt[i] = commit.updatedAt().toString();
                executionSteps[i] = commit.continueAsNew() ? 1 : 0;
                renewed[i] = commit.continueAsNew();
                nextInputs[i] = commit.nextInput();
                customStatuses[i] = commit.customStatus();
                versions[i] = commit.startedVersion().isPresent() ? commit.startedVersion().getAsInt() : null;
                List<HistoryEvent> events = commit.events();
                for (int e = 0; e < events.size(); e++) {
                    eventKs.add(k);
                    sequences.add(commit.expectedHistoryLength() + e);
                    eventTypes.add(StoreJson.type(events.get(e)));
                    eventJson.add(StoreJson.write(events.get(e)));
                }
                for (Long id : commit.consumedMessages()) {
                    consumedKs.add(k);
                    consumed.add(id);
                }
                for (TaskMessage message : batch.get(i).messages()) {
                    sentKs.add(k);
                    sent.add(message);
                }
                List<NewActivity> activities = commit.activities();
                for (int a = 0; a < activities.size(); a++) {
                    callKs.add(k);
                    calls.add(activities.get(a));
                    boolean lease = a < leases.limit();
                    leased.add(lease);
                    owners.add(lease ? leases.owner() : null);
                    leaseMillis.add(leases.durationMillis());
                }
            }
            MessageColumns messages = new MessageColumns(sent);
            int count = calls.size();
            String[] callIds = new String[count];
            String[] callInstances = new String[count];
            Integer[] callExecutions = new Integer[count];
            Integer[] taskIds = new Integer[count];
            String[] names = new String[count];
            @Nullable String[] inputs = new String[count];
            String[] options = new String[count];
            String[] scheduledAt = new String[count];
            for (int a = 0; a < count; a++) {
                NewActivity activity = calls.get(a);
                callIds[a] = activity.id();
                callInstances[a] = activity.instanceId();
                callExecutions[a] = activity.execution();
                taskIds[a] = activity.taskId();
                names[a] = activity.name();
                inputs[a] = activity.input();
                options[a] = StoreJson.write(activity.options());
                scheduledAt[a] = activity.scheduledAt().toString();
            }
            this.params.addAll(Arrays.asList(ks, instanceIds, tokens, expected, statuses, outputs, failures, lengths,
                    updatedAt, executionSteps, renewed, nextInputs, customStatuses, versions));
            this.params.add(instanceIds);
            this.params.add(Arrays.asList(renewed).contains(true));
            this.params.addAll(Arrays.asList(eventKs.toArray(Integer[]::new), sequences.toArray(Integer[]::new),
                    eventTypes.toArray(String[]::new), eventJson.toArray(String[]::new)));
            Long[] consumedIds = consumed.toArray(Long[]::new);
            this.params.addAll(Arrays.asList(consumedKs.toArray(Integer[]::new), consumedIds, consumedIds));
            this.params.addAll(Arrays.asList(sentKs.toArray(Integer[]::new), messages.instanceIds, messages.executions,
                    messages.eventTypes, messages.events, messages.visibleAt));
            this.params.addAll(Arrays.asList(callKs.toArray(Integer[]::new), callIds, callInstances, callExecutions,
                    taskIds, names, inputs, options, scheduledAt, leased.toArray(Boolean[]::new),
                    owners.toArray(String[]::new), leaseMillis.toArray(Long[]::new)));
        }

        List<@Nullable Object> params() {
            return this.params;
        }
    }

    /** An activity call's outcome to record, for the call's token. */
    private record Completion(String activityId, FencingToken token, TaskMessage outcome) {
    }

    /** A call a grouped completion deleted, with the token it held. */
    private record Completed(String activityId, long token) {
    }

    private record Current(@Nullable Long token, int historyLength) {
    }

    /** Whether a commit's update matched the instance, and the tokens of the activity calls it leased, by id. */
    private record Written(boolean matched, Map<String, Long> tokens) {
    }

    /**
     * How many of a commit's activity calls to lease, to whom and for how long (milliseconds); none for a plain
     * commit.
     */
    private record ActivityLeases(@Nullable String owner, long durationMillis, int limit) {

        static final ActivityLeases NONE = new ActivityLeases(null, 0, 0);
    }

    /** A claimed instance's row: its record, or why it could not be read. */
    private record Claimed(String instanceId, @Nullable InstanceRecord instance, @Nullable RuntimeException unreadable,
            long token, long first) {
    }

    /** A history event or a visible message of a claimed instance, not read yet. */
    private record StoredEvent(boolean history, String instanceId, long id, int execution, @Nullable String json,
            @Nullable Instant visibleAt) {
    }

    /**
     * Messages as one array per column, for an insert of them all in one statement. The rows are inserted in the
     * list's order ({@code with ordinality ... order by}), which is the order of their ids, and so the order they are
     * handed out in; a message to an instance that does not exist is dropped.
     */
    private static final class MessageColumns {

        final String[] instanceIds;

        final Integer[] executions;

        final String[] eventTypes;

        final String[] events;

        final String[] visibleAt;

        MessageColumns(List<TaskMessage> messages) {
            this.instanceIds = new String[messages.size()];
            this.executions = new Integer[messages.size()];
            this.eventTypes = new String[messages.size()];
            this.events = new String[messages.size()];
            this.visibleAt = new String[messages.size()];
            for (int i = 0; i < messages.size(); i++) {
                TaskMessage message = messages.get(i);
                this.instanceIds[i] = message.instanceId();
                this.executions[i] = message.execution();
                this.eventTypes[i] = StoreJson.type(message.event());
                this.events[i] = StoreJson.write(message.event());
                this.visibleAt[i] = message.visibleAt().toString();
            }
        }

        /** The insert, taking the five arrays as parameters, for the rows where {@code condition} holds as well. */
        String insert(String messages, String instances, String condition) {
            return "insert into " + messages + " (instance_id, execution, event_type, event, visible_at) "
                    + "select m.instance_id, m.execution, m.event_type, m.event, m.visible_at::timestamptz "
                    + "from unnest(?::text[], ?::int[], ?::text[], ?::text[], ?::text[]) with ordinality "
                    + "as m(instance_id, execution, event_type, event, visible_at, n) where" + condition
                    + " and exists (select 1 from " + instances + " i where i.instance_id = m.instance_id) order by m.n";
        }
    }
}
