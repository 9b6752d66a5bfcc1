package dev.quark.eventsourcing.jdbc;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

import javax.sql.DataSource;

import dev.quark.eventsourcing.AppendResult;
import dev.quark.eventsourcing.ConcurrencyException;
import dev.quark.eventsourcing.EventDeadLetter;
import dev.quark.eventsourcing.EventFeed;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.EventStoreArguments;
import dev.quark.eventsourcing.FeedPosition;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.Snapshot;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.jdbc.LiquibaseMigration;
import dev.quark.jdbc.CallerTransactions;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseLostException;
import dev.quark.state.StateWriteAttachment;
import dev.quark.state.jdbc.JdbcStateAttachment;

import org.jspecify.annotations.Nullable;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.Assert;

/**
 * Keeps event streams in PostgreSQL (13 or later), in five tables created by the Liquibase changelog
 * {@value #CHANGELOG}:
 * <pre>
 * {prefix}event             position identity, txid xid8, stream, version, event_id uuid, event_type, schema_version,
 *                           payload, recorded_at; unique (stream, version), unique (stream, event_id)
 * {prefix}event_snapshot    stream primary key, version, payload, truncated_version
 * {prefix}event_stream      stream primary key, truncated_version (of truncated streams), version (the stream's)
 * {prefix}event_checkpoint  subscription primary key, txid, position (null when claimed before any was saved),
 *                           lease_token (of the newest lease that claimed or wrote it), tokens_raised_at (when a
 *                           node last raised the lease store's tokens above the stamp)
 * {prefix}event_dead_letter (subscription, txid, position) primary key, the event's columns, attempts, error,
 *                           dead_lettered_at: the events a subscription gave up on
 * </pre>
 * An append runs in one transaction, the caller's when it has a Spring-managed one on the same data source
 * (so events can commit atomically with the caller's other writes; under a savepoint, so that a failed append leaves
 * the caller's transaction usable and without its statements), and is one statement (without a caller's transaction,
 * on a connection in auto-commit mode, one that commits on its own, without a {@code COMMIT}'s round trip): the update of
 * the stream's row in {@code {prefix}event_stream} ({@code on conflict (stream) do update set version = version + n
 * where version = expected}), which locks the row, checks the expected version and moves it on, and the insert of the
 * events from the version it returned. Retries (every event id already in the stream) and conflicts are sorted out
 * afterwards, only when the statement did not append, under the row's lock. Deletions, truncations and snapshots lock
 * the row too, and also take the stream's advisory lock ({@code pg_advisory_xact_lock(hashtext(table),
 * hashtext(stream))}), which appends of the previous Quark version take. A conflict that the database finds under a
 * caller's {@code REPEATABLE READ} or {@code SERIALIZABLE} transaction (a serialization failure) is a
 * {@link ConcurrencyException} too.
 * <p>
 * <b>The global feed never skips an event.</b> Positions come from an identity column, drawn when a row is
 * inserted, not when its transaction commits: a reader that followed positions alone would pass a position whose
 * transaction commits later and never see it. So every row also records its transaction's id
 * ({@code pg_current_xact_id()}, type {@code xid8}), and the feed reads only rows whose transaction is older than
 * the oldest transaction still running ({@code txid < pg_snapshot_xmin(pg_current_snapshot())}), ordered by
 * {@code (txid, position)}: every row below that bound is final, and every row that becomes visible later sorts
 * after it. The price: a long transaction anywhere in the database (any schema, any application) holds the feed
 * back until it ends. Read the feed outside of a transaction that has written.
 * <p>
 * <b>Fenced checkpoints.</b> A claim and a fenced write are each one statement, an upsert of the checkpoint's row
 * whose update requires {@code lease_token is null or lease_token <= token} and sets the token: a row stamped by a
 * newer lease is left as it is and the statement changes no row, which is the refusal. A dead letter is recorded in the
 * same statement as the fenced write that moves the checkpoint past its event, and only when that write passed.
 */
public class JdbcEventStore implements EventStore, EventFeed {

    /** The class path location of the Liquibase changelog that creates the tables. */
    public static final String CHANGELOG = "db/changelog/quark/eventstore.xml";

    /** The parameters of the {@link #append} statement, which {@link #bindAppend} binds. */
    private static final int APPEND_PARAMETERS = 13;

    /** The SQL state of a division by zero: the {@link #appendAlone} statement's "not every event appended". */
    private static final String NOT_APPENDED_ALONE = "22012";

    private static final String COLUMNS = "stream, version, event_id, event_type, schema_version, payload, recorded_at, "
            + "txid::text::bigint, position";

    private final DataSource dataSource;

    private final JdbcClient jdbc;

    private final JdbcTemplate template;

    private final CallerTransactions transactions;

    private final String table;

    private final String lock;

    /** The stream's version: the greatest of its row's, its last event's and its truncations'. */
    private final String currentVersion;

    /** Creates the stream's row when it has none and locks it: two statements, sent in one round trip. */
    private final String lockStream;

    /** The stream row's update (lock and version check) and the insert of the events, in one statement. */
    private final String append;

    /**
     * The {@link #append} statement for a connection in auto-commit mode: it fails with a division by zero
     * ({@value #NOT_APPENDED_ALONE}), rolling back its own writes, when it did not append every event.
     */
    private final String appendAlone;

    /**
     * Whether a connection of the pool had auto-commit off: then every append goes through a transaction, without
     * borrowing a connection only to find that out.
     */
    private volatile boolean autoCommitOff;

    /** What an append that did not pass finds: its event ids in the stream and the stream row's version. */
    private final String check;

    /** Brings a stream row's version up to the stream's (a row behind its events, written by an older Quark). */
    private final String repair;

    private final String read;

    private final String readAfter;

    private final String saveSnapshot;

    private final String loadSnapshot;

    private final String loadCheckpoint;

    private final String saveCheckpoint;

    /** Reads the lease token a checkpoint's row is stamped with. */
    private final String loadCheckpointStamp;

    private final String loadTokensRaisedAt;

    /** Keeps the later of the raise recorded and the one given, making the row if there is none. */
    private final String recordTokensRaised;

    /** Stamps a checkpoint's row with a lease's token unless a newer one stamped it, and returns its position. */
    private final String claimCheckpoint;

    private final String checkpointTable;

    /** Writes a checkpoint and stamps it with a lease's token unless a newer one stamped it. */
    private final String saveFencedCheckpoint;

    private final String snapshotTable;

    private final String streamTable;

    /**
     * The fenced write of a checkpoint and, only when it passed, the insert of the dead letter at its position, in one
     * statement; returns how many checkpoint rows it wrote (0: refused).
     */
    private final String deadLetter;

    private final String loadDeadLetters;

    private final String findDeadLetter;

    private final String deleteDeadLetter;

    /**
     * Creates a store.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table names, for instance {@code quark_}
     */
    public JdbcEventStore(DataSource dataSource, TablePrefix tablePrefix) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.jdbc = JdbcClient.create(dataSource);
        this.template = new JdbcTemplate(dataSource);
        this.transactions = new CallerTransactions(dataSource);
        this.table = tablePrefix.table("event");
        this.snapshotTable = tablePrefix.table("event_snapshot");
        String checkpoints = tablePrefix.table("event_checkpoint");
        this.checkpointTable = checkpoints;
        this.lock = "select pg_advisory_xact_lock(hashtext('" + this.table + "'), hashtext(?))";
        this.streamTable = tablePrefix.table("event_stream");
        this.currentVersion = "select greatest(coalesce(max(version), 0), coalesce((select version from "
                + this.streamTable + " where stream = :stream), 0), coalesce((select truncated_version from "
                + this.streamTable + " where stream = :stream), 0), coalesce((select truncated_version from "
                + this.snapshotTable + " where stream = :stream), 0)) from " + this.table + " where stream = :stream";
        this.lockStream = "insert into " + this.streamTable + " (stream, truncated_version, version) values (?, 0, 0) "
                + "on conflict (stream) do nothing; select version from " + this.streamTable
                + " where stream = ? for update";
        String appendWith = "with head as (insert into " + this.streamTable + " as s (stream, truncated_version, version) "
                + "values (?, 0, ?) on conflict (stream) do update set version = greatest(s.version, s.truncated_version) "
                + "+ excluded.version where ?::bigint = -1 or greatest(s.version, s.truncated_version) = ?::bigint "
                + "returning s.version), "
                + "inserted as (insert into " + this.table
                + " (stream, version, event_id, event_type, schema_version, payload) "
                + "select ?, head.version - ? + e.n, e.event_id, e.event_type, e.schema_version, e.payload from head, "
                + "unnest(?::uuid[], ?::text[], ?::int4[], ?::text[]) with ordinality "
                + "as e(event_id, event_type, schema_version, payload, n) "
                + "where ?::bigint = -1 or head.version - ? = ?::bigint "
                + "order by e.n on conflict (stream, event_id) do nothing returning 1) ";
        this.append = appendWith + "select (select version from head), (select count(*) from inserted)::int";
        this.appendAlone = appendWith + "select r.version, r.inserted from (select (select version from head) as "
                + "version, (select count(*) from inserted)::int as inserted) r "
                + "where 1 / (case when r.inserted = ?::int then 1 else 0 end) = 1";
        this.check = "select count(*)::int, coalesce(max(version), 0), (select version from " + this.streamTable
                + " where stream = :stream) from " + this.table
                + " where stream = :stream and event_id = any(cast(:ids as uuid[])) and version <= :upTo";
        this.repair = "update " + this.streamTable + " set version = :version where stream = :stream "
                + "and version < :version";
        this.read = "select " + COLUMNS + " from " + this.table
                + " where stream = ? and version >= ? order by version limit ?";
        this.readAfter = "select " + COLUMNS + " from " + this.table
                + " where (txid, position) > (?::text::xid8, ?) and txid < pg_snapshot_xmin(pg_current_snapshot())"
                + " order by txid, position limit ?";
        this.saveSnapshot = "insert into " + this.snapshotTable + " as s (stream, version, payload) values (?, ?, ?) "
                + "on conflict (stream) do update set version = excluded.version, payload = excluded.payload, "
                + "updated_at = now() where s.version < excluded.version";
        this.loadSnapshot = "select version, payload from " + this.snapshotTable + " where stream = ?";
        this.loadCheckpoint = "select txid, position from " + checkpoints + " where subscription = ? "
                + "and position is not null";
        this.saveCheckpoint = "insert into " + checkpoints + " as c (subscription, txid, position) values (?, ?, ?) "
                + "on conflict (subscription) do update set txid = excluded.txid, position = excluded.position, "
                + "updated_at = now()";
        this.loadCheckpointStamp = "select lease_token from " + checkpoints + " where subscription = ?";
        this.loadTokensRaisedAt = "select tokens_raised_at from " + checkpoints + " where subscription = ?";
        this.recordTokensRaised = "insert into " + checkpoints + " as c (subscription, tokens_raised_at) values (?, ?) "
                + "on conflict (subscription) do update set tokens_raised_at = greatest(c.tokens_raised_at, "
                + "excluded.tokens_raised_at)";
        String fence = " where c.lease_token is null or c.lease_token <= excluded.lease_token";
        this.claimCheckpoint = "insert into " + checkpoints + " as c (subscription, lease_token) values (?, ?) "
                + "on conflict (subscription) do update set lease_token = excluded.lease_token" + fence
                + " returning c.txid, c.position";
        this.saveFencedCheckpoint = "insert into " + checkpoints + " as c (subscription, txid, position, lease_token) "
                + "values (?, ?, ?, ?) on conflict (subscription) do update set txid = excluded.txid, "
                + "position = excluded.position, lease_token = excluded.lease_token, updated_at = now()" + fence;
        String deadLetters = tablePrefix.table("event_dead_letter");
        String letterColumns = "stream, version, event_id, event_type, schema_version, payload, recorded_at, txid, "
                + "position, attempts, error, dead_lettered_at";
        this.deadLetter = "with fenced as (" + this.saveFencedCheckpoint + " returning 1), "
                + "letter as (insert into " + deadLetters + " (subscription, " + letterColumns + ") "
                + "select ?, ?, ?, ?::uuid, ?, ?, ?, ?::timestamptz, ?, ?, ?, ?, ?::timestamptz "
                + "where exists (select 1 from fenced) on conflict (subscription, txid, position) do nothing) "
                + "select count(*)::int from fenced";
        this.loadDeadLetters = "select subscription, " + letterColumns + " from " + deadLetters
                + " where subscription = ? order by txid, position limit ?";
        this.findDeadLetter = "select subscription, " + letterColumns + " from " + deadLetters
                + " where subscription = ? and txid = ? and position = ?";
        this.deleteDeadLetter = "delete from " + deadLetters + " where subscription = ? and txid = ? and position = ?";
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
     * Returns the name of the events table.
     * @return the table name, with its prefix
     */
    public String table() {
        return this.table;
    }

    @Override
    public AppendResult append(String stream, List<NewEvent> events, long expectedVersion) {
        EventStoreArguments.append(stream, events, expectedVersion);
        if (!this.autoCommitOff && this.transactions.statementsCommitAlone()) {
            AppendResult appended = appendAlone(stream, events, expectedVersion);
            if (appended != null) {
                return appended;
            }
        }
        return this.transactions.execute(() -> appendInTransaction(stream, events, expectedVersion, () -> {
        }));
    }

    /**
     * Appends events and makes the writes of a {@link JdbcStateAttachment} on this store's {@code DataSource} (for
     * instance outbox messages) in the append's transaction, after the events were inserted: the caller's transaction
     * when one holds the {@code DataSource} (under a savepoint), else one of its own. A failing attached write rolls
     * the events back with it; in the caller's transaction, to the savepoint, which leaves the caller's transaction
     * usable and without the events.
     */
    @Override
    public AppendResult append(String stream, List<NewEvent> events, long expectedVersion,
            StateWriteAttachment attachment) {
        Objects.requireNonNull(attachment, "attachment must not be null");
        if (!(attachment instanceof JdbcStateAttachment attached)) {
            return EventStore.super.append(stream, events, expectedVersion, attachment);
        }
        if (attached.dataSource() != this.dataSource) {
            throw new UnsupportedOperationException("Event stream '" + stream + "' is kept by " + this + " on another "
                    + "DataSource than the one of " + attachment.description() + "; both must use the same");
        }
        EventStoreArguments.append(stream, events, expectedVersion);
        return this.transactions.execute(() -> appendInTransaction(stream, events, expectedVersion, attached::write));
    }

    /**
     * Appends with one statement that commits on its own, when no caller's transaction holds the database and the
     * connection is in auto-commit mode: the statement of a transaction, without the commit's round trip. It appends every event or nothing: when it would
     * not append them all (a conflict, a retry of events already appended, a stream new to its row) it fails, its
     * writes rolled back with it, and the append goes the way of a transaction ({@link #appendInTransaction}), which
     * finds out why.
     * @return what was appended, or {@code null} when nothing was (also when the connection's auto-commit is off) and
     *     the transaction's way must tell why
     */
    private @Nullable AppendResult appendAlone(String stream, List<NewEvent> events, long expectedVersion) {
        try {
            Optional<Long> version = conflictsReported(stream, expectedVersion, () -> this.template
                .execute((ConnectionCallback<Optional<Long>>) (connection) -> {
                    if (!connection.getAutoCommit()) {
                        // A pool that hands out connections with auto-commit off: nothing would commit the statement.
                        this.autoCommitOff = true;
                        return Optional.empty();
                    }
                    try (PreparedStatement statement = connection.prepareStatement(this.appendAlone)) {
                        bindAppend(connection, statement, stream, events, expectedVersion);
                        statement.setInt(APPEND_PARAMETERS + 1, events.size());
                        try (ResultSet row = statement.executeQuery()) {
                            row.next();
                            return Optional.of(row.getLong(1));
                        }
                    }
                }));
            return Objects.requireNonNull(version).map((appended) -> new AppendResult(appended, false)).orElse(null);
        }
        catch (DataAccessException ex) {
            if (NOT_APPENDED_ALONE.equals(sqlState(ex))) {
                return null;
            }
            throw ex;
        }
    }

    /**
     * Appends with one statement, then runs the attached writes. The {@link #append} statement updates the stream's
     * row in {@code {prefix}event_stream} ({@code insert ... on conflict (stream) do update set version = version + n
     * where version = expected returning version}), which locks the row, checks the expected version and moves it
     * on in one step, and inserts the events from the returned version on ({@code on conflict (stream, event_id) do
     * nothing}): when the row's version differs, it updates nothing, returns no row and inserts nothing. Under
     * {@code READ COMMITTED} the update waits for the row's lock and then sees its latest version, whatever the
     * statement's snapshot. When it did not append all the events (a conflict, a retry of events already appended,
     * a stream new to its row) {@link #settle} finds out why, in the same transaction.
     */
    private AppendResult appendInTransaction(String stream, List<NewEvent> events, long expectedVersion,
            Runnable attached) {
        for (int attempt = 0;; attempt++) {
            AppendOutcome outcome = conflictsReported(stream, expectedVersion, () -> this.template
                .execute((ConnectionCallback<AppendOutcome>) (connection) -> {
                    try (PreparedStatement statement = connection.prepareStatement(this.append)) {
                        bindAppend(connection, statement, stream, events, expectedVersion);
                        try (ResultSet row = statement.executeQuery()) {
                            row.next();
                            long version = row.getLong(1);
                            return new AppendOutcome(row.wasNull() ? null : version, row.getInt(2));
                        }
                    }
                }));
            Long version = Objects.requireNonNull(outcome).version();
            if (version != null && outcome.inserted() == events.size()
                    && (expectedVersion == ANY_VERSION || version - events.size() == expectedVersion)) {
                attached.run();
                return new AppendResult(version, false);
            }
            AppendResult settled = settle(stream, events, expectedVersion, version != null, attempt);
            if (settled != null) {
                return settled;
            }
        }
    }

    /**
     * Finds out why an append did not append, holding the stream row's lock: its events were appended before
     * (returns the duplicate), the stream is at another version ({@link ConcurrencyException}), or the stream's row
     * is behind its events (written by an older Quark, which did not keep the row: brought up to the stream's version,
     * and the append tried again once, returning {@code null}). When the statement moved the row's version on without
     * appending (the events were there, or a stream new to the row with another expected version), it is moved back
     * first.
     * @param moved whether the append statement moved the row's version on (or created the row)
     * @param attempt how many times the append statement ran before
     */
    private @Nullable AppendResult settle(String stream, List<NewEvent> events, long expectedVersion, boolean moved,
            int attempt) {
        // the events this append inserted (those whose ids were not there) are not the ones it looks for
        long upTo = !moved ? Long.MAX_VALUE : this.jdbc.sql("update " + this.streamTable + " set version = version - :size where stream = :stream "
                    + "returning version")
                .param("size", events.size())
                .param("stream", stream)
                .query(Long.class)
                .single();
        StringBuilder ids = new StringBuilder("{");
        for (NewEvent event : events) {
            ids.append((ids.length() > 1) ? "," : "").append(event.eventId());
        }
        int[] found = new int[1];
        long[] lastFound = new long[1];
        conflictsReported(stream, expectedVersion, () -> this.jdbc.sql(this.check)
            .param("stream", stream)
            .param("ids", ids.append('}').toString())
            .param("upTo", upTo)
            .query((row) -> {
                found[0] = row.getInt(1);
                lastFound[0] = row.getLong(2);
            }));
        if (EventStoreArguments.repeated(stream, events, found[0])) {
            return new AppendResult(lastFound[0], true);
        }
        long current = version(stream);
        boolean repaired = this.jdbc.sql(this.repair).param("version", current).param("stream", stream).update() > 0;
        EventStoreArguments.expect(stream, expectedVersion, current);
        if (repaired && attempt == 0) {
            return null;
        }
        throw new IllegalStateException("The append to event stream '" + stream + "' at version " + current
                + " passed its checks but appended " + "nothing");
    }

    /**
     * Runs one of an append's statements, reporting as a {@link ConcurrencyException} a conflict that the database
     * found rather than the statement's check: a serialization failure ({@code 40001}: under {@code REPEATABLE READ}
     * or {@code SERIALIZABLE}, the stream's row or one of the events was written by a transaction that committed
     * after the caller's snapshot) or a unique key ({@code 23505}: a version taken by an append of an older Quark,
     * which kept no row). The statement failed, so its transaction (or savepoint) rolls back, and nothing is appended.
     */
    private <T> T conflictsReported(String stream, long expectedVersion, Supplier<T> statement) {
        try {
            return statement.get();
        }
        catch (DataAccessException ex) {
            String state = sqlState(ex);
            if ("40001".equals(state) || "23505".equals(state)) {
                throw new ConcurrencyException(stream, expectedVersion, ANY_VERSION, "Event stream '" + stream
                        + "' was appended to concurrently: expected version " + expectedVersion + ", but "
                        + ("40001".equals(state) ? "another append committed after this transaction's snapshot, "
                                + "which its isolation (REPEATABLE READ or SERIALIZABLE) cannot see past"
                                : "another append took the version")
                        + " (SQLState " + state + "); nothing was appended. Read the stream again in a new "
                        + "transaction and retry", ex);
            }
            throw ex;
        }
    }

    private void conflictsReported(String stream, long expectedVersion, Runnable statement) {
        conflictsReported(stream, expectedVersion, () -> {
            statement.run();
            return Boolean.TRUE;
        });
    }

    private static @Nullable String sqlState(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }

    private static void bindAppend(Connection connection, PreparedStatement statement, String stream,
            List<NewEvent> events, long expectedVersion) throws SQLException {
        int size = events.size();
        UUID[] ids = new UUID[size];
        String[] types = new String[size];
        Integer[] schemaVersions = new Integer[size];
        String[] payloads = new String[size];
        for (int i = 0; i < size; i++) {
            NewEvent event = events.get(i);
            ids[i] = event.eventId();
            types[i] = event.type();
            schemaVersions[i] = event.schemaVersion();
            payloads[i] = event.payload();
        }
        int index = 0;
        statement.setString(++index, stream);
        statement.setLong(++index, size);
        statement.setLong(++index, expectedVersion);
        statement.setLong(++index, expectedVersion);
        statement.setString(++index, stream);
        statement.setLong(++index, size);
        statement.setArray(++index, connection.createArrayOf("uuid", ids));
        statement.setArray(++index, connection.createArrayOf("text", types));
        statement.setArray(++index, connection.createArrayOf("int4", schemaVersions));
        statement.setArray(++index, connection.createArrayOf("text", payloads));
        statement.setLong(++index, expectedVersion);
        statement.setLong(++index, size);
        statement.setLong(++index, expectedVersion);
        Assert.state(index == APPEND_PARAMETERS, "the append statement's parameters");
    }

    /**
     * What the append statement did.
     * @param version the stream row's version after the statement, {@code null} when it was at another version than
     * the expected one (and was not updated)
     * @param inserted how many events it inserted
     */
    private record AppendOutcome(@Nullable Long version, int inserted) {
    }

    /**
     * Takes the locks that deletions, truncations and snapshots take: the lock of the stream's row in
     * {@code {prefix}event_stream} (the one appends take), creating the row when there is none, then the stream's
     * advisory lock (the one appends of older Quark versions take); and brings the row's version up to the stream's.
     * @return the stream's version
     */
    private long lockStream(String stream) {
        // The row's lock first, as appends take it: a transaction that appended and then snapshots the stream holds
        // the row and must not wait for the advisory lock of a truncation that waits for the row (a deadlock).
        for (int attempt = 1; !lockRow(stream); attempt++) {
            // The row was deleted (a deletion of the stream committed) while this waited for its lock: the select
            // found none, and without a row's lock appends would not wait for this. The next insert makes it again.
            if (attempt == 100) {
                throw new IllegalStateException("Could not lock the row of event stream '" + stream + "' in "
                        + this.streamTable + ": it was deleted 100 times in a row while this waited for it");
            }
        }
        this.jdbc.sql(this.lock).param(stream).query((row, number) -> 1).list();
        long current = version(stream);
        this.jdbc.sql(this.repair).param("version", current).param("stream", stream).update();
        return current;
    }

    /**
     * Makes the stream's row unless it exists and locks it.
     * @return whether the row was locked: not when it was deleted while this waited for its lock
     */
    private boolean lockRow(String stream) {
        return Boolean.TRUE.equals(this.template.execute((ConnectionCallback<Boolean>) (connection) -> {
            try (PreparedStatement statement = connection.prepareStatement(this.lockStream)) {
                statement.setString(1, stream);
                statement.setString(2, stream);
                boolean resultSet = statement.execute();
                while (!resultSet) {
                    if (statement.getUpdateCount() == -1) {
                        return false;
                    }
                    resultSet = statement.getMoreResults();
                }
                try (ResultSet rows = statement.getResultSet()) {
                    return rows.next();
                }
            }
        }));
    }

    /**
     * Deletes a stream's rows and snapshot in one transaction (the caller's when it has one on the data source, under
     * a savepoint), under the stream's locks (its row's, which appends take, and its advisory lock), after checking its version.
     */
    @Override
    public long deleteStream(String stream, long expectedVersion) {
        EventStoreArguments.delete(stream, expectedVersion);
        return this.transactions.execute(() -> {
            long current = lockStream(stream);
            EventStoreArguments.expect(stream, expectedVersion, current);
            int deleted = this.jdbc.sql("delete from " + this.table + " where stream = ?").param(stream).update();
            this.jdbc.sql("delete from " + this.snapshotTable + " where stream = ?").param(stream).update();
            this.jdbc.sql("delete from " + this.streamTable + " where stream = ?").param(stream).update();
            return (long) deleted;
        });
    }

    /**
     * Deletes the stream's rows up to the version and records the version in the stream's row of
     * {@code {prefix}event_stream} (which keeps the stream's version when every event was deleted, also when the
     * snapshot is lost) and in the snapshot's row ({@code truncated_version}, for nodes of the previous version), in one
     * transaction (the caller's when it has one on the data
     * source, under a savepoint), under the stream's locks (its row's, which appends take, and its advisory lock), after checking the version against the stream's
     * and its snapshot's.
     */
    @Override
    public long truncateStream(String stream, long version) {
        return truncateStream(stream, version, ANY_VERSION);
    }

    /**
     * Truncates as {@link #truncateStream(String, long)} does, checking the expected version under the stream's
     * row lock (the one appends take), in the truncation's transaction.
     */
    @Override
    public long truncateStream(String stream, long version, long expectedVersion) {
        EventStoreArguments.truncate(stream, version);
        EventStoreArguments.expectedVersion(stream, expectedVersion, "A truncation");
        if (version == 0 && (expectedVersion == ANY_VERSION || isEmptyAsExpected(stream, expectedVersion))) {
            // Truncates nothing: no row is made for the stream by taking its locks.
            return 0L;
        }
        return this.transactions.execute(() -> {
            long current = lockStream(stream);
            EventStoreArguments.expect(stream, expectedVersion, current, "nothing was truncated");
            long snapshot = this.jdbc.sql("select version from " + this.snapshotTable + " where stream = ?")
                .param(stream)
                .query(Long.class)
                .optional()
                .orElse(0L);
            EventStoreArguments.truncatable(stream, version, current, snapshot);
            if (version == 0) {
                return 0L;
            }
            int deleted = this.jdbc.sql("delete from " + this.table + " where stream = ? and version <= ?")
                .params(stream, version)
                .update();
            this.jdbc.sql("update " + this.snapshotTable + " set truncated_version = ? where stream = ? "
                    + "and truncated_version < ?")
                .params(version, stream, version)
                .update();
            this.jdbc.sql("update " + this.streamTable + " set truncated_version = ?, updated_at = now() "
                    + "where stream = ? and truncated_version < ?")
                .params(version, stream, version)
                .update();
            return (long) deleted;
        });
    }

    /**
     * Returns whether the stream has no events (nor ever had, or was deleted) and the caller expects that, read without
     * the stream's locks: an operation that then does nothing need not take them, and so make the stream's row. A
     * stream written meanwhile is one the operation came before.
     */
    private boolean isEmptyAsExpected(String stream, long expectedVersion) {
        return (expectedVersion == ANY_VERSION || expectedVersion == 0) && version(stream) == 0;
    }

    @Override
    public List<StoredEvent> read(String stream, long fromVersion, int limit) {
        EventStoreArguments.read(stream, fromVersion, limit);
        return this.jdbc.sql(this.read).params(stream, fromVersion, limit).query(JdbcEventStore::event).list();
    }

    @Override
    public long version(String stream) {
        EventStoreArguments.stream(stream);
        return this.jdbc.sql(this.currentVersion).param("stream", stream).query(Long.class).single();
    }

    /**
     * Keeps a snapshot unless it is beyond the stream's version (a stream deleted after the snapshot's events were
     * appended), checked under the stream's locks so that a concurrent {@link #deleteStream} cannot slip in.
     */
    @Override
    public void saveSnapshot(String stream, Snapshot snapshot) {
        saveSnapshot(stream, snapshot, ANY_VERSION);
    }

    /**
     * Keeps a snapshot when the stream is at the expected version, and unless it is beyond the stream's version;
     * checked under the stream's locks (the row lock appends, truncations and deletions take), in the write's
     * transaction.
     */
    @Override
    public void saveSnapshot(String stream, Snapshot snapshot, long expectedVersion) {
        EventStoreArguments.expectedVersion(stream, expectedVersion, "A snapshot");
        Objects.requireNonNull(snapshot, "snapshot must not be null");
        if (snapshot.version() > 0 && isEmptyAsExpected(stream, expectedVersion)) {
            // Beyond a stream without events: not kept, and no row is made for the stream by taking its locks.
            return;
        }
        this.transactions.execute(() -> {
            long current = lockStream(stream);
            EventStoreArguments.expect(stream, expectedVersion, current, "no snapshot was saved");
            if (snapshot.version() > current) {
                return false;
            }
            return this.jdbc.sql(this.saveSnapshot).params(stream, snapshot.version(), snapshot.payload()).update() > 0;
        });
    }

    @Override
    public Optional<Snapshot> loadSnapshot(String stream) {
        EventStoreArguments.stream(stream);
        return this.jdbc.sql(this.loadSnapshot)
            .param(stream)
            .query((row, number) -> new Snapshot(row.getLong(1), row.getString(2)))
            .optional();
    }

    @Override
    public Optional<EventFeed> feed() {
        return Optional.of(this);
    }

    @Override
    public List<StoredEvent> readAfter(FeedPosition after, int limit) {
        Objects.requireNonNull(after, "after must not be null");
        EventStoreArguments.limit(limit);
        return this.jdbc.sql(this.readAfter)
            .params(Long.toString(Math.max(0, after.transaction())), after.sequence(), limit)
            .query(JdbcEventStore::event)
            .list();
    }

    @Override
    public Optional<FeedPosition> checkpoint(String subscription) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        return this.jdbc.sql(this.loadCheckpoint)
            .param(subscription)
            .query((row, number) -> new FeedPosition(row.getLong(1), row.getLong(2)))
            .optional();
    }

    @Override
    public void saveCheckpoint(String subscription, FeedPosition position) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        Objects.requireNonNull(position, "position must not be null");
        this.jdbc.sql(this.saveCheckpoint).params(subscription, position.transaction(), position.sequence()).update();
    }

    @Override
    public String clearCheckpointStamp(String subscription) {
        return "update " + this.checkpointTable + " set lease_token = null where subscription = '"
                + subscription.replace("'", "''") + "'";
    }

    @Override
    public Optional<FencingToken> checkpointStamp(String subscription) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        return this.jdbc.sql(this.loadCheckpointStamp)
            .param(subscription)
            .query((row, number) -> {
                long token = row.getLong(1);
                return row.wasNull() ? Optional.<FencingToken>empty() : Optional.of(new FencingToken(token));
            })
            .optional()
            .flatMap((stamp) -> stamp);
    }

    @Override
    public Optional<Instant> tokensRaisedAt(String subscription) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        return this.jdbc.sql(this.loadTokensRaisedAt)
            .param(subscription)
            .query((row, number) -> Optional.ofNullable(row.getObject(1, OffsetDateTime.class))
                .map(OffsetDateTime::toInstant))
            .optional()
            .flatMap((raisedAt) -> raisedAt);
    }

    @Override
    public void recordTokensRaised(String subscription, Instant raisedAt) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        Objects.requireNonNull(raisedAt, "raisedAt must not be null");
        this.jdbc.sql(this.recordTokensRaised)
            .params(subscription, OffsetDateTime.ofInstant(raisedAt, ZoneOffset.UTC))
            .update();
    }

    @Override
    public Optional<FeedPosition> claimCheckpoint(String subscription, Lease lease) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        Objects.requireNonNull(lease, "lease must not be null");
        List<Optional<FeedPosition>> claimed = this.jdbc.sql(this.claimCheckpoint)
            .params(subscription, lease.token().value())
            .query((row, number) -> {
                long transaction = row.getLong(1);
                return row.wasNull() ? Optional.<FeedPosition>empty()
                        : Optional.of(new FeedPosition(transaction, row.getLong(2)));
            })
            .list();
        if (claimed.isEmpty()) {
            throw new LeaseLostException(lease.resource(), lease.token(), null);
        }
        return claimed.getFirst();
    }

    @Override
    public void saveCheckpoint(String subscription, FeedPosition position, Lease lease) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        Objects.requireNonNull(position, "position must not be null");
        Objects.requireNonNull(lease, "lease must not be null");
        int rows = this.jdbc.sql(this.saveFencedCheckpoint)
            .params(subscription, position.transaction(), position.sequence(), lease.token().value())
            .update();
        if (rows == 0) {
            throw new LeaseLostException(lease.resource(), lease.token(), null);
        }
    }

    @Override
    public boolean keepsDeadLetters() {
        return true;
    }

    @Override
    public void deadLetter(EventDeadLetter letter, Lease lease) {
        Objects.requireNonNull(letter, "letter must not be null");
        Objects.requireNonNull(lease, "lease must not be null");
        StoredEvent event = letter.event();
        FeedPosition position = event.position();
        Integer written = this.jdbc.sql(this.deadLetter)
            .params(letter.subscription(), position.transaction(), position.sequence(), lease.token().value(),
                    letter.subscription(), event.stream(), event.version(), event.eventId(), event.type(),
                    event.schemaVersion(), event.payload(),
                    OffsetDateTime.ofInstant(event.recordedAt(), ZoneOffset.UTC),
                    position.transaction(), position.sequence(), letter.attempts(), letter.error(),
                    OffsetDateTime.ofInstant(letter.deadLetteredAt(), ZoneOffset.UTC))
            .query(Integer.class)
            .single();
        if (written == 0) {
            throw new LeaseLostException(lease.resource(), lease.token(), null);
        }
    }

    @Override
    public List<EventDeadLetter> deadLetters(String subscription, int limit) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        EventStoreArguments.limit(limit);
        return this.jdbc.sql(this.loadDeadLetters).params(subscription, limit).query(JdbcEventStore::deadLetter).list();
    }

    @Override
    public Optional<EventDeadLetter> findDeadLetter(String subscription, FeedPosition position) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        Objects.requireNonNull(position, "position must not be null");
        return this.jdbc.sql(this.findDeadLetter)
            .params(subscription, position.transaction(), position.sequence())
            .query(JdbcEventStore::deadLetter)
            .optional();
    }

    @Override
    public boolean deleteDeadLetter(String subscription, FeedPosition position) {
        Objects.requireNonNull(subscription, "subscription must not be null");
        Objects.requireNonNull(position, "position must not be null");
        return this.jdbc.sql(this.deleteDeadLetter)
            .params(subscription, position.transaction(), position.sequence())
            .update() > 0;
    }

    private static EventDeadLetter deadLetter(ResultSet row, int number) throws SQLException {
        StoredEvent event = new StoredEvent(row.getString(2), row.getLong(3), row.getObject(4, UUID.class),
                row.getString(5), row.getInt(6), row.getString(7), row.getObject(8, OffsetDateTime.class).toInstant(),
                new FeedPosition(row.getLong(9), row.getLong(10)));
        return new EventDeadLetter(row.getString(1), event, row.getInt(11), row.getString(12),
                row.getObject(13, OffsetDateTime.class).toInstant());
    }

    private static StoredEvent event(ResultSet row, int number) throws SQLException {
        return new StoredEvent(row.getString(1), row.getLong(2), row.getObject(3, UUID.class), row.getString(4),
                row.getInt(5), row.getString(6), row.getTimestamp(7).toInstant(),
                new FeedPosition(row.getLong(8), row.getLong(9)));
    }

    @Override
    public String toString() {
        return "JdbcEventStore[table " + this.table + "]";
    }
}
