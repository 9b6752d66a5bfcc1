package dev.quark.messaging.store.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.jdbc.LiquibaseMigration;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.FencingToken;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.StateAttachingOutboxStore;
import dev.quark.messaging.store.StoredMessage;
import dev.quark.state.StateWriteAttachment;
import dev.quark.state.jdbc.JdbcStateAttachment;

/**
 * Keeps outbox messages in PostgreSQL, one row per message in {@code <prefix>outbox_message}, created by the
 * Liquibase changelog {@value #CHANGELOG}. {@link #append} runs through Spring JDBC on the given {@code DataSource},
 * so it joins the caller's Spring transaction on that {@code DataSource} ({@code DataSourceUtils}): the message
 * exists if and only if the caller's transaction commits.
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

    private final JdbcClient jdbc;

    private final String table;

    private final String partitions;

    private final JsonMapper json = JsonMapper.shared();

    /**
     * Creates a store.
     * @param dataSource the database, the one the application's business writes go to
     * @param tablePrefix the prefix of the tables
     */
    public JdbcOutboxStore(DataSource dataSource, TablePrefix tablePrefix) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.jdbc = JdbcClient.create(dataSource);
        this.table = tablePrefix.table("outbox_message");
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
     * order, and a dispatcher reading between the commits would deliver the later message first. So the insert first
     * takes a transaction-scoped advisory lock on the key: enqueues of one key wait for each other's commit, those
     * of other keys do not (outside a transaction the lock ends with the statement).
     */
    @Override
    public void append(NewMessage message) {
        this.jdbc.sql("with keyed as (select pg_advisory_xact_lock(hashtext(?), hashtext(?))) insert into "
                + this.table + " (id, destination, msg_key, partition_no, payload_type, payload, headers, created_at, "
                + "status, attempts) select ?, ?, ?, ?, ?, ?, ?::jsonb, ?, 'PENDING', 0 from keyed")
            .params(this.table, message.key(), message.id().value(), message.destination(), message.key(),
                    message.partition(), message.payloadType(), message.payload(),
                    this.json.writeValueAsString(message.headers()), at(message.createdAt()))
            .update();
    }

    /**
     * Returns the appends of messages as writes a {@code JdbcStateStore} on the same {@code DataSource} makes in the
     * transaction of a state's save.
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
                appended.forEach(JdbcOutboxStore.this::append);
            }

            @Override
            public String description() {
                return appended.size() + " outbox message" + ((appended.size() == 1) ? "" : "s");
            }
        };
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
            .params(status.name(), at(retryAt), at(finishedAt), error, message.id().value(), token.value())
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
    public List<MessageId> requeueDead(String destination, int limit) {
        List<MessageId> dead = this.jdbc.sql("select id from " + this.table + " where status = 'DEAD' and destination "
                + "= ? order by sequence limit ?")
            .params(destination, limit)
            .query((rs, row) -> new MessageId(rs.getObject(1, UUID.class)))
            .list();
        return dead.stream().filter(this::requeue).toList();
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

    private static @Nullable OffsetDateTime at(@Nullable Instant instant) {
        return (instant != null) ? OffsetDateTime.ofInstant(instant, ZoneOffset.UTC) : null;
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
