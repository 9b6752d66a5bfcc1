package dev.quark.messaging.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.ArgumentPreparedStatementSetter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.jdbc.CallerTransactions;
import dev.quark.jdbc.EndingTransactions;
import dev.quark.jdbc.LiquibaseMigration;
import dev.quark.jdbc.OwnTransactions;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.FencingToken;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.OutboxStoreArguments;
import dev.quark.messaging.store.StateAttachingOutboxStore;
import dev.quark.messaging.store.StoredMessage;
import dev.quark.state.StateWriteAttachment;
import dev.quark.state.jdbc.JdbcStateAttachment;

/**
 * Keeps outbox messages in PostgreSQL, one row per message in {@code <prefix>outbox_message}, created by the
 * Liquibase changelog {@value #CHANGELOG}. {@link #append} runs through Spring JDBC on the given {@code DataSource},
 * so it joins the caller's Spring transaction on that {@code DataSource} ({@code DataSourceUtils}): the message
 * exists if and only if the caller's transaction commits. In a transaction the messages are inserted when it commits,
 * their keys' advisory locks taken in one fixed order ({@link TransactionAppends}); the transaction manager needs an
 * {@link OutboxCommitListener} for those of a first enqueue made while the transaction commits.
 * <p>
 * Fencing: {@link #stamp} writes the partition's token into {@code <prefix>outbox_partition} unless a newer one is
 * there; every state change requires that row to carry the caller's token, in the same statement, and locks it for
 * share, so a successor's stamp waits for the change to commit and refuses everything after.
 */
public class JdbcOutboxStore implements StateAttachingOutboxStore {

    /** The changelog that creates the messaging tables (outbox and inbox). */
    public static final String CHANGELOG = "db/changelog/quark/messaging.xml";

    private static final TypeReference<Map<String, String>> HEADERS = new TypeReference<>() {
    };

    private static final String COLUMNS = "id, sequence, destination, msg_key, partition_no, payload_type, payload, "
            + "headers::text as headers, created_at, status, attempts, retry_at, finished_at, last_error";

    private final DataSource dataSource;

    private final DataSource ownConnections;

    private final JdbcClient jdbc;

    private final String table;

    /** The insert of one message under its key's advisory lock, held to the end of the insert's transaction. */
    private final String singleInsert;

    private final String partitions;

    private final JdbcTemplate template;

    private final CallerTransactions transactions;

    private final JsonMapper json = JsonMapper.shared();

    /**
     * Creates a store.
     * @param dataSource the database, the one the application's business writes go to
     * @param tablePrefix the prefix of the tables
     */
    public JdbcOutboxStore(DataSource dataSource, TablePrefix tablePrefix) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.ownConnections = OwnTransactions.unproxied(dataSource);
        this.jdbc = JdbcClient.create(dataSource);
        this.template = new JdbcTemplate(dataSource);
        this.transactions = new CallerTransactions(dataSource);
        this.table = tablePrefix.table("outbox_message");
        this.singleInsert = "with keyed as (select pg_advisory_xact_lock(hashtext(?), hashtext(?))) insert into "
                + this.table + " (id, destination, msg_key, partition_no, payload_type, payload, headers, created_at, "
                + "status, attempts) select ?, ?, ?, ?, ?, ?, ?::jsonb, ?, 'PENDING', 0 from keyed";
        this.partitions = tablePrefix.table("outbox_partition");
    }

    /**
     * Returns the migration that creates the messaging tables.
     * @param tablePrefix the prefix of the tables
     * @return the migration
     */
    public static LiquibaseMigration migration(TablePrefix tablePrefix) {
        return new LiquibaseMigration(CHANGELOG, tablePrefix);
    }

    /**
     * Returns the message table's name.
     * @return the table
     */
    public String table() {
        return this.table;
    }

    /**
     * Appends a message. Its sequence, the delivery order within its key, is drawn when the row is inserted, but
     * dispatchers see rows when they commit: two transactions enqueueing for one key could commit out of sequence
     * order, and a dispatcher reading between the commits would deliver the later message first. So each insert first
     * takes a transaction-scoped advisory lock on its key, and draws its sequence under it.
     * <p>
     * In a Spring transaction on this store's database (the caller's, or the one a {@code JdbcStateStore} or
     * {@code JdbcEventStore} runs an attached write in) the message is held until the transaction commits and
     * inserted just before, with every other message the transaction enqueued: the locks of their keys are taken in one
     * fixed order (by lock id), then the rows are inserted in enqueue order. So two transactions enqueueing for the
     * same keys in opposite orders cannot deadlock (except through messages enqueued by other before-commit callbacks
     * after these were written, each of which locks its key on its own: PostgreSQL then aborts one of the two commits,
     * which fails; nothing is written half), enqueues of one key are sequenced in commit order, and a lock is
     * held only while the transaction commits. A message enqueued twice in one transaction is refused at once; one
     * already committed is refused by the primary key, which fails the commit. Outside a transaction the message is
     * inserted at once and committed, on a connection of its own (the lock ends with the insert), even when the pool
     * hands out connections with auto-commit off. While a connection of this database is bound to the thread without
     * transaction synchronization (a caller's transaction bound the way JPA binds it) the message is written on that
     * connection: it is the caller's work. The same binding is left while a finished transaction's
     * {@code afterCompletion} callbacks and {@code AFTER_COMMIT} event listeners run: when its manager has an
     * {@link OutboxCommitListener}, which marks that connection as ending, the message is stored on a connection of
     * its own instead; without the listener it is written on the finished transaction's connection (committed by
     * {@code DataSourceTransactionManager} restoring auto-commit, lost with a pool whose connections have auto-commit
     * off: documented).
     */
    @Override
    public void append(NewMessage message) {
        Objects.requireNonNull(message, "message must not be null");
        if (inTransaction()) {
            transactionAppends().add(List.of(message));
        }
        else {
            insertNow(message);
        }
    }

    private void insertNow(NewMessage message) {
        Object bound = boundConnection();
        if (bound != null && !EndingTransactions.isEnding(bound)) {
            insertOnBoundConnection(message);
        }
        else {
            insert(message);
        }
    }

    private @Nullable Object boundConnection() {
        Object bound = TransactionSynchronizationManager.getResource(this.dataSource);
        return (bound != null) ? bound : TransactionSynchronizationManager.getResource(this.ownConnections);
    }

    private void insertOnBoundConnection(NewMessage message) {
        this.template.update(this.singleInsert, singleInsertArguments(message));
    }

    private Object[] singleInsertArguments(NewMessage message) {
        return new Object[] { this.table, message.key(), message.id().value(), message.destination(), message.key(),
                message.partition(), message.payloadType(), message.payload(),
                headers(message), at(message.createdAt()) };
    }

    private String headers(NewMessage message) {
        return message.headers().isEmpty() ? "{}" : this.json.writeValueAsString(message.headers());
    }

    private TransactionAppends transactionAppends() {
        return TransactionAppends.current(this, this::insertLocked, this.transactions::callerConnection);
    }

    private boolean inTransaction() {
        return TransactionSynchronizationManager.isSynchronizationActive() && this.transactions.callerHoldsTheDatabase();
    }

    /**
     * Inserts a message outside any transaction on this database, on a connection taken straight from the
     * {@code DataSource} (under a {@code TransactionAwareDataSourceProxy}) and committed here when the pool hands it
     * out with auto-commit off. Never on a connection bound to the thread: in a committed transaction's
     * {@code afterCompletion} callbacks (where {@code AFTER_COMMIT} event listeners run) that connection is still
     * bound, with auto-commit off, and a pool configured with auto-commit off would roll the insert back when it
     * returns.
     */
    private void insert(NewMessage message) {
        String sql = this.singleInsert;
        Object[] arguments = singleInsertArguments(message);
        try (Connection connection = this.ownConnections.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                new ArgumentPreparedStatementSetter(arguments).setValues(statement);
                statement.executeUpdate();
                if (!autoCommit) {
                    connection.commit();
                }
            }
            catch (SQLException | RuntimeException ex) {
                if (!autoCommit) {
                    rollbackQuietly(connection, ex);
                }
                throw ex;
            }
        }
        catch (SQLException ex) {
            throw Objects.requireNonNull(this.template.getExceptionTranslator().translate("outbox insert", sql, ex));
        }
    }

    private static void rollbackQuietly(Connection connection, Exception cause) {
        try {
            connection.rollback();
        }
        catch (SQLException rollback) {
            cause.addSuppressed(rollback);
        }
    }

    /**
     * Takes the advisory locks of the messages' keys in the order of their lock ids, then inserts the messages in
     * their order, in the current transaction. A transaction's only message (the usual case) goes in one statement,
     * its key's lock taken in the insert's CTE, as outside a transaction: one round trip before the commit, as a plain
     * insert of the row takes.
     */
    private void insertLocked(List<NewMessage> messages) {
        if (messages.size() == 1) {
            insertOnBoundConnection(messages.getFirst());
            return;
        }
        String[] keys = messages.stream().map(NewMessage::key).distinct().toArray(String[]::new);
        this.jdbc.sql("select pg_advisory_xact_lock(hashtext(?), lock_id) from (select distinct hashtext(msg_key) as "
                + "lock_id from unnest(?::text[]) as msg_key order by lock_id) as locks")
            .params(this.table, keys)
            .query((row, number) -> 1)
            .list();
        List<Object[]> rows = messages.stream()
            .map((message) -> new Object[] { message.id().value(), message.destination(), message.key(),
                    message.partition(), message.payloadType(), message.payload(),
                    headers(message), at(message.createdAt()) })
            .toList();
        this.template.batchUpdate("insert into " + this.table + " (id, destination, msg_key, partition_no, "
                + "payload_type, payload, headers, created_at, status, attempts) values (?, ?, ?, ?, ?, ?, ?::jsonb, ?, "
                + "'PENDING', 0)", rows);
    }

    /**
     * Returns the appends of messages as writes a {@code JdbcStateStore} (or {@code JdbcEventStore}) on the same
     * {@code DataSource} makes in the transaction of a state's save: all or none, refused at once when one of them
     * was enqueued already (in this transaction, or committed), so that the save is refused with them.
     */
    @Override
    public StateWriteAttachment appendWithState(List<NewMessage> messages) {
        List<NewMessage> appended = List.copyOf(messages);
        return new JdbcStateAttachment() {

            @Override
            public DataSource dataSource() {
                return JdbcOutboxStore.this.dataSource;
            }

            @Override
            public void write() {
                appendAll(appended);
            }

            @Override
            public String description() {
                return appended.size() + " outbox message" + ((appended.size() == 1) ? "" : "s");
            }
        };
    }

    private void appendAll(List<NewMessage> messages) {
        if (messages.isEmpty()) {
            return;
        }
        List<UUID> existing = this.jdbc.sql("select id from " + this.table + " where id = any(?::uuid[])")
            .param(messages.stream().map((message) -> message.id().value()).toArray(UUID[]::new))
            .query((rs, row) -> rs.getObject(1, UUID.class))
            .list();
        if (!existing.isEmpty()) {
            throw new IllegalArgumentException("Message " + existing.getFirst() + " was enqueued already");
        }
        if (inTransaction()) {
            transactionAppends().add(messages);
        }
        else {
            messages.forEach(this::insertNow);
        }
    }

    @Override
    public Optional<StoredMessage> find(MessageId id) {
        return this.jdbc.sql("select " + COLUMNS + " from " + this.table + " where id = ?")
            .param(id.value())
            .query(this::message)
            .optional();
    }

    @Override
    public boolean stamp(int partition, FencingToken token) {
        return this.jdbc.sql("insert into " + this.partitions + " as p (partition_no, lease_token) values (?, ?) "
                + "on conflict (partition_no) do update set lease_token = excluded.lease_token "
                + "where p.lease_token <= excluded.lease_token")
            .params(partition, token.value())
            .update() == 1;
    }

    @Override
    public List<StoredMessage> nextBatch(int partition, Instant now, int limit) {
        return this.jdbc.sql("select " + COLUMNS + " from " + this.table + " m where m.partition_no = ? "
                + "and m.status = 'PENDING' and not exists (select 1 from " + this.table + " w where "
                + "w.partition_no = m.partition_no and w.status = 'PENDING' and w.msg_key = m.msg_key "
                + "and w.retry_at is not null and w.retry_at > ?) order by m.sequence limit ?")
            .params(partition, at(now), limit)
            .query(this::message)
            .list();
    }

    @Override
    public boolean markDelivered(StoredMessage message, FencingToken token, Instant at) {
        return update(message, token, MessageStatus.DELIVERED, null, at, null);
    }

    @Override
    public boolean markRetry(StoredMessage message, FencingToken token, Instant retryAt, String error) {
        return update(message, token, MessageStatus.PENDING, retryAt, null, error);
    }

    @Override
    public boolean markDead(StoredMessage message, FencingToken token, Instant at, String error) {
        return update(message, token, MessageStatus.DEAD, null, at, error);
    }

    private boolean update(StoredMessage message, FencingToken token, MessageStatus status, @Nullable Instant retryAt,
            @Nullable Instant finishedAt, @Nullable String error) {
        return this.jdbc.sql("update " + this.table + " m set status = ?, attempts = m.attempts + 1, retry_at = ?, "
                + "finished_at = ?, last_error = coalesce(?, m.last_error) where m.id = ? and m.status = 'PENDING' "
                + "and exists (select 1 from " + this.partitions + " p where p.partition_no = m.partition_no "
                + "and p.lease_token = ? for share of p)")
            .params(values(status.name(), atOrNull(retryAt), atOrNull(finishedAt), error, message.id().value(),
                    token.value()))
            .update() == 1;
    }

    @Override
    public int deleteFinished(MessageStatus status, Instant finishedBefore, int limit) {
        return this.jdbc.sql("delete from " + this.table + " where id in (select id from " + this.table
                + " where status = ? and finished_at < ? limit ?)")
            .params(status.name(), at(finishedBefore), limit)
            .update();
    }

    @Override
    public long count(MessageStatus status) {
        return this.jdbc.sql("select count(*) from " + this.table + " where status = ?")
            .param(status.name())
            .query(Long.class)
            .single();
    }

    @Override
    public Optional<Instant> oldestPending() {
        return this.jdbc.sql("select min(created_at) from " + this.table + " where status = 'PENDING'")
            .query((rs, row) -> Optional.ofNullable(instant(rs, 1)))
            .single();
    }

    @Override
    public List<StoredMessage> deadLetters(int limit) {
        return this.jdbc.sql("select " + COLUMNS + " from " + this.table + " where status = 'DEAD' order by sequence "
                + "limit ?")
            .param(limit)
            .query(this::message)
            .list();
    }

    /**
     * Requeues a dead letter with a sequence drawn now. Like {@link #append}, it first takes the transaction-scoped
     * advisory lock on the message's key, so that the new sequence commits in order with enqueues of the key.
     */
    @Override
    public boolean requeue(MessageId id) {
        return this.jdbc.sql("with target as (select id, msg_key from " + this.table + " where id = ? and status = "
                + "'DEAD' for update), keyed as (select target.id, pg_advisory_xact_lock(hashtext(?), "
                + "hashtext(target.msg_key)) from target) update " + this.table + " m set status = 'PENDING', "
                + "attempts = 0, retry_at = null, finished_at = null, sequence = nextval(pg_get_serial_sequence(?, "
                + "'sequence')) from keyed where m.id = keyed.id")
            .params(id.value(), this.table, this.table)
            .update() == 1;
    }

    @Override
    public List<MessageId> requeueDead(String destination, long throughSequence, int limit) {
        OutboxStoreArguments.requeueDead(destination, limit);
        List<MessageId> dead = this.jdbc.sql("select id from " + this.table + " where status = 'DEAD' and destination "
                + "= ? and sequence <= ? order by sequence limit ?")
            .params(destination, throughSequence, limit)
            .query((rs, row) -> new MessageId(rs.getObject(1, UUID.class)))
            .list();
        return dead.stream().filter(this::requeue).toList();
    }

    @Override
    public long lastSequence() {
        return this.jdbc.sql("select coalesce(max(sequence), 0) from " + this.table).query(Long.class).single();
    }

    private StoredMessage message(ResultSet rs, int row) throws SQLException {
        Instant createdAt = Objects.requireNonNull(instant(rs, "created_at"));
        return new StoredMessage(rs.getLong("sequence"), new MessageId(rs.getObject("id", UUID.class)),
                rs.getString("destination"), rs.getString("msg_key"), rs.getInt("partition_no"),
                rs.getString("payload_type"), rs.getString("payload"),
                this.json.readValue(rs.getString("headers"), HEADERS), createdAt,
                MessageStatus.valueOf(rs.getString("status")), rs.getInt("attempts"), instant(rs, "retry_at"),
                instant(rs, "finished_at"), rs.getString("last_error"));
    }

    private static OffsetDateTime at(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static @Nullable OffsetDateTime atOrNull(@Nullable Instant instant) {
        return (instant != null) ? at(instant) : null;
    }

    /** Statement parameters some of which are {@code null} (SQL {@code NULL}). */
    private static List<@Nullable Object> values(@Nullable Object... values) {
        List<@Nullable Object> list = new ArrayList<>(values.length);
        for (Object value : values) {
            list.add(value);
        }
        return list;
    }

    private static @Nullable Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return (value != null) ? value.toInstant() : null;
    }

    private static @Nullable Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return (value != null) ? value.toInstant() : null;
    }

    @Override
    public String toString() {
        return "JdbcOutboxStore[" + this.table + "]";
    }
}
