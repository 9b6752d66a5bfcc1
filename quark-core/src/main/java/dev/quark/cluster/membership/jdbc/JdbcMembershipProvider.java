package dev.quark.cluster.membership.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import javax.sql.DataSource;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.membership.TransportSecurity;
import dev.quark.jdbc.LiquibaseMigration;
import dev.quark.jdbc.OwnTransactions;
import dev.quark.jdbc.PostgresNotificationListener;
import dev.quark.jdbc.PostgresNotificationListeners;
import dev.quark.jdbc.TablePrefix;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionOperations;

/**
 * Keeps the membership table of one cluster in PostgreSQL, in two tables created by the Liquibase changelog
 * {@value #CHANGELOG}:
 * <pre>
 * {prefix}membership_version (cluster_name) primary key, version bigint, updated_at, incarnation text
 * {prefix}membership_silo    (cluster_name, silo_id) primary key, host, port, start_time, status,
 *                            last_heartbeat, epoch, actor_types jsonb, suspicions jsonb,
 *                            transport_security (TLS, PLAINTEXT, or null when the silo does not say)
 * </pre>
 * A write or remove runs in a transaction of its own: {@code UPDATE ... SET version = version + 1 WHERE
 * cluster_name = ? AND version = ?} (the version row is created at 0 with a new incarnation and
 * {@code ON CONFLICT DO NOTHING} first when the caller expects 0; a row without an incarnation, written before
 * the column existed, gets one from this update), then the upsert or delete of the silo's row and a
 * {@code NOTIFY}; when the update finds no row the transaction is rolled back and nothing is written. The row
 * lock the update takes orders concurrent writers, so of writers expecting one version exactly one wins. A
 * heartbeat is one {@code UPDATE} of the silo's row, checked against its epoch and status; a read is one
 * statement (the version row joined with the silo rows), so it sees one committed state.
 * <p>
 * Hints: every write and remove runs {@code pg_notify('{prefix}membership', cluster name)}, delivered when
 * its transaction commits; {@link #watch} listens on a connection of its own, or on the shared listener of the
 * data source when the provider was given {@link PostgresNotificationListeners} (see {@link PostgresMembershipWatch}). The columns {@code actor_types} and {@code suspicions} are JSON, described
 * on {@link SiloColumnsJson}; timestamps are {@code timestamp with time zone}, written to the millisecond.
 */
public class JdbcMembershipProvider implements MembershipProvider {

    /** The class path location of the Liquibase changelog that creates the tables. */
    public static final String CHANGELOG = "db/changelog/quark/membership.xml";

    /** The longest cluster name allowed. */
    public static final int MAX_CLUSTER_NAME_LENGTH = 255;

    private final DataSource dataSource;

    private final JdbcClient jdbc;

    private final TransactionOperations transactions;

    private final String clusterName;

    private final String versionTable;

    private final String siloTable;

    private final String channel;

    private final String select;

    private final String createVersion;

    private final String raiseVersion;

    private final String upsert;

    private final String delete;

    private final String heartbeat;

    private final @Nullable PostgresNotificationListeners listeners;

    /** How long a watch on the shared listener waits at most until it listens. */
    private volatile Duration sharedListenWait = PostgresNotificationListener.VALIDATION_TIMEOUT;

    /**
     * Creates the table of one cluster.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table names, for instance {@code quark_}
     * @param clusterName the cluster's name, not blank, at most {@value #MAX_CLUSTER_NAME_LENGTH} characters;
     * clusters with other names sharing the tables have rows of their own
     * @throws IllegalArgumentException naming the bad value
     */
    public JdbcMembershipProvider(DataSource dataSource, TablePrefix tablePrefix, String clusterName) {
        this(dataSource, tablePrefix, clusterName, null);
    }

    /**
     * Creates the table of one cluster whose watches listen on the shared listener of the data source.
     * @param dataSource the database, usually the application's
     * @param tablePrefix put before the table names, for instance {@code quark_}
     * @param clusterName the cluster's name, as for {@link #JdbcMembershipProvider(DataSource, TablePrefix, String)}
     * @param listeners the shared listeners the watches subscribe on; {@code null} for a connection of their own
     * per watch (which needs the PostgreSQL driver only once a watch starts)
     * @throws IllegalArgumentException naming the bad value
     */
    public JdbcMembershipProvider(DataSource dataSource, TablePrefix tablePrefix, String clusterName,
            @Nullable PostgresNotificationListeners listeners) {
        this.listeners = listeners;
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource must not be null");
        Objects.requireNonNull(tablePrefix, "tablePrefix must not be null");
        this.clusterName = Objects.requireNonNull(clusterName, "clusterName must not be null");
        if (clusterName.isBlank() || clusterName.length() > MAX_CLUSTER_NAME_LENGTH) {
            throw new IllegalArgumentException("Cluster name '" + clusterName + "' must not be blank nor longer than "
                    + MAX_CLUSTER_NAME_LENGTH + " characters");
        }
        OwnTransactions own = new OwnTransactions(dataSource);
        this.jdbc = own.jdbc();
        this.transactions = own.transactions();
        this.versionTable = tablePrefix.table("membership_version");
        this.siloTable = tablePrefix.table("membership_silo");
        this.channel = tablePrefix.table("membership");
        this.select = "select v.version, s.silo_id, s.host, s.port, s.start_time, s.status, s.last_heartbeat, "
                + "s.epoch, s.actor_types, s.suspicions, v.incarnation, s.transport_security from " + this.versionTable + " v left join "
                + this.siloTable + " s on s.cluster_name = v.cluster_name where v.cluster_name = ?";
        this.createVersion = "insert into " + this.versionTable + " (cluster_name, version, incarnation) "
                + "values (?, 0, ?) on conflict (cluster_name) do nothing";
        this.raiseVersion = "update " + this.versionTable + " set version = version + 1, "
                + "incarnation = coalesce(incarnation, ?), updated_at = now() where cluster_name = ? and version = ?";
        this.upsert = "insert into " + this.siloTable + " as s (cluster_name, silo_id, host, port, start_time, "
                + "status, last_heartbeat, epoch, actor_types, suspicions, transport_security) "
                + "values (?, ?, ?, ?, ?, ?, ?, ?, cast(? as jsonb), cast(? as jsonb), nullif(?, 'UNKNOWN')) "
                + "on conflict (cluster_name, silo_id) do update set host = excluded.host, port = excluded.port, "
                + "start_time = excluded.start_time, status = excluded.status, "
                + "last_heartbeat = case when s.epoch = excluded.epoch "
                + "then greatest(s.last_heartbeat, excluded.last_heartbeat) else excluded.last_heartbeat end, "
                + "epoch = excluded.epoch, actor_types = excluded.actor_types, suspicions = excluded.suspicions, "
                + "transport_security = excluded.transport_security";
        this.delete = "delete from " + this.siloTable + " where cluster_name = ? and silo_id = ?";
        this.heartbeat = "update " + this.siloTable + " set last_heartbeat = ? "
                + "where cluster_name = ? and silo_id = ? and epoch = ? and status <> 'DEAD'";
    }

    /**
     * Returns the migration that creates the membership tables.
     * @param tablePrefix the table prefix
     * @return the migration
     */
    public static LiquibaseMigration migration(TablePrefix tablePrefix) {
        return new LiquibaseMigration(CHANGELOG, tablePrefix);
    }

    /**
     * Returns the name of the table of version rows, one per cluster.
     * @return the table name, with its prefix
     */
    public String versionTable() {
        return this.versionTable;
    }

    /**
     * Returns the name of the table of silo rows.
     * @return the table name, with its prefix
     */
    public String siloTable() {
        return this.siloTable;
    }

    /**
     * Returns the notification channel every write and remove notifies, with the cluster name as payload.
     * @return the channel, such as {@code quark_membership}
     */
    public String channel() {
        return this.channel;
    }

    @Override
    public MembershipSnapshot read() {
        List<SiloEntry> entries = new ArrayList<>();
        long[] version = { -1 };
        String[] incarnation = { MembershipSnapshot.NO_INCARNATION };
        this.jdbc.sql(this.select).param(this.clusterName).query((ResultSet row) -> {
            version[0] = row.getLong(1);
            String stored = row.getString(11);
            if (stored != null) {
                incarnation[0] = stored;
            }
            String siloId = row.getString(2);
            if (siloId != null) {
                entries.add(entry(siloId, row));
            }
        });
        return (version[0] < 0) ? MembershipSnapshot.EMPTY
                : MembershipSnapshot.of(incarnation[0], version[0], entries);
    }

    /** Reads the column: {@code null}, or a value this version does not know (a later one's), does not say. */
    private static TransportSecurity transportSecurity(@Nullable String column) {
        if (column == null) {
            return TransportSecurity.UNKNOWN;
        }
        try {
            return TransportSecurity.valueOf(column);
        }
        catch (IllegalArgumentException ex) {
            return TransportSecurity.UNKNOWN;
        }
    }

    private SiloEntry entry(String siloId, ResultSet row) throws SQLException {
        try {
            return new SiloEntry(siloId, new SiloAddress(row.getString(3), row.getInt(4)), instant(row, 5),
                    SiloStatus.valueOf(row.getString(6)), instant(row, 7), row.getLong(8),
                    SiloColumnsJson.readActorTypes(row.getString(9)), SiloColumnsJson.readSuspicions(row.getString(10)),
                    transportSecurity(row.getString(12)));
        }
        catch (IllegalArgumentException | NullPointerException ex) {
            throw new IllegalStateException("The row of silo '" + siloId + "' in cluster '" + this.clusterName + "' of "
                    + this.siloTable + " is not a membership entry: " + ex.getMessage(), ex);
        }
    }

    private static Instant instant(ResultSet row, int column) throws SQLException {
        OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
        return Objects.requireNonNull(value, "null timestamp").toInstant();
    }

    @Override
    public boolean write(SiloEntry entry, long expectedVersion) {
        Objects.requireNonNull(entry, "entry must not be null");
        String actorTypes = SiloColumnsJson.actorTypes(entry.actorTypes());
        String suspicions = SiloColumnsJson.suspicions(entry.suspicions());
        return versioned(expectedVersion, () -> this.jdbc.sql(this.upsert)
            .params(this.clusterName, entry.siloId(), entry.address().host(), entry.address().port(),
                    timestamp(entry.startTime()), entry.status().name(), timestamp(entry.lastHeartbeat()),
                    entry.epoch(), actorTypes, suspicions, entry.transportSecurity().name())
            .update());
    }

    @Override
    public boolean remove(String siloId, long expectedVersion) {
        Objects.requireNonNull(siloId, "siloId must not be null");
        return versioned(expectedVersion, () -> this.jdbc.sql(this.delete).params(this.clusterName, siloId).update());
    }

    private boolean versioned(long expectedVersion, Runnable change) {
        String newIncarnation = MembershipSnapshot.newIncarnation();
        Boolean written = this.transactions.execute((status) -> {
            if (expectedVersion == 0) {
                this.jdbc.sql(this.createVersion).params(this.clusterName, newIncarnation).update();
            }
            if (this.jdbc.sql(this.raiseVersion).params(newIncarnation, this.clusterName, expectedVersion)
                .update() != 1) {
                status.setRollbackOnly();
                return false;
            }
            change.run();
            this.jdbc.sql("select pg_notify(?, ?)").params(this.channel, this.clusterName).query((ResultSet row) -> { });
            return true;
        });
        return Boolean.TRUE.equals(written);
    }

    @Override
    public boolean heartbeat(String siloId, long epoch, Instant at) {
        Objects.requireNonNull(siloId, "siloId must not be null");
        Objects.requireNonNull(at, "at must not be null");
        return this.jdbc.sql(this.heartbeat).params(timestamp(at), this.clusterName, siloId, epoch).update() == 1;
    }

    /**
     * Listens on the channel with a connection of its own, taken from the data source for as long as the
     * watch is open, and a virtual thread that waits for notifications of this cluster, or, when the provider was
     * given shared listeners, subscribes on the data source's shared listener (waiting up to
     * {@link PostgresNotificationListener#VALIDATION_TIMEOUT}, or the wait a test set, until it listens); see
     * {@link PostgresMembershipWatch}.
     */
    @Override
    public Watch watch(Runnable listener) {
        Objects.requireNonNull(listener, "listener must not be null");
        PostgresNotificationListeners shared = this.listeners;
        if (shared != null) {
            return PostgresMembershipWatch.subscribe(shared, this.dataSource, this.channel, this.clusterName,
                    listener, this.sharedListenWait);
        }
        return PostgresMembershipWatch.start(this.dataSource, this.channel, this.clusterName, listener);
    }

    /**
     * Sets how long a watch on the shared listener waits at most until it listens, shorter than the default in tests
     * of a listener that cannot listen.
     */
    void sharedListenWait(Duration wait) {
        this.sharedListenWait = Objects.requireNonNull(wait, "wait must not be null");
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MILLIS).atOffset(ZoneOffset.UTC);
    }

    @Override
    public String toString() {
        return "JdbcMembershipProvider[" + this.siloTable + ", cluster " + this.clusterName + "]";
    }
}
