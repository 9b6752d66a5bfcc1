package dev.quark.eventsourcing.jdbc;

import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.eventsourcing.EventDeadLetter;
import dev.quark.eventsourcing.FeedPosition;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.Snapshot;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.jdbc.LiquibaseMigration;
import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseLostException;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The event store's changelog across versions: changeset {@code event-3} fills {@code quark_event_stream} from the
 * snapshots of streams truncated before it ran, is marked ran when the table is already there, and rolls back;
 * {@code event-4} adds each stream's version to its row, filled from the events and truncations already there;
 * {@code event-5} adds the checkpoints' lease token, {@code event-6} when their lease store's tokens were last raised,
 * {@code event-7} the dead letters.
 * The rollbacks count changesets from the last one.
 */
class JdbcEventStoreChangelogTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private PostgresTestSchema schema;

    private HikariDataSource dataSource;

    private JdbcClient jdbc;

    @BeforeEach
    void connect() {
        this.schema = PostgresTestServer.get().createSchema(JdbcEventStoreChangelogTests.class);
        this.dataSource = new HikariDataSource();
        this.dataSource.setJdbcUrl(this.schema.jdbcUrl());
        this.dataSource.setMaximumPoolSize(2);
        this.jdbc = JdbcClient.create(this.dataSource);
    }

    @AfterEach
    void disconnect() {
        if (this.dataSource != null) {
            this.dataSource.close();
        }
        if (this.schema != null) {
            this.schema.close();
        }
    }

    @Test
    void event3FillsTheStreamTableFromTheSnapshotsOfTruncatedStreams() throws Exception {
        onLiquibase((liquibase) -> liquibase.update(2, new Contexts(), new LabelExpression()));
        assertThat(tableExists("quark_event_stream")).as("before event-3").isFalse();
        // a stream truncated through its last event, one truncated with events kept, one never truncated
        snapshot("Tally/emptied", 5, 5);
        snapshot("Tally/kept", 2, 2);
        event("Tally/kept", 3);
        event("Tally/kept", 4);
        snapshot("Tally/whole", 1, 0);
        event("Tally/whole", 1);
        event("Tally/whole", 2);

        JdbcEventStore.migration(PREFIX).apply(this.dataSource);

        assertThat(this.jdbc.sql("select stream, truncated_version from quark_event_stream "
                + "where truncated_version > 0 order by stream")
            .query((row, number) -> Map.entry(row.getString(1), row.getLong(2)))
            .list()).containsExactly(Map.entry("Tally/emptied", 5L), Map.entry("Tally/kept", 2L));
        JdbcEventStore store = new JdbcEventStore(this.dataSource, PREFIX);
        this.jdbc.sql("delete from quark_event_snapshot").update();
        assertThat(store.version("Tally/emptied")).as("a stream truncated through its last event, snapshot deleted")
            .isEqualTo(5);
        assertThat(store.version("Tally/kept")).isEqualTo(4);
        assertThat(store.read("Tally/kept", 1, 10)).extracting(StoredEvent::version).containsExactly(3L, 4L);
        assertThat(store.version("Tally/whole")).isEqualTo(2);
        assertThat(store.version("Tally/never")).isZero();
    }

    @Test
    void event3RollsBackByDroppingTheStreamTableAndAppliesAgain() throws Exception {
        JdbcEventStore.migration(PREFIX).apply(this.dataSource);
        JdbcEventStore store = new JdbcEventStore(this.dataSource, PREFIX);
        for (long version = 0; version < 4; version++) {
            store.append("Tally/t", List.of(new NewEvent(UUID.randomUUID(), "Added", 1, "{}")), version);
        }
        store.saveSnapshot("Tally/t", new Snapshot(3, "{}"), 4);
        assertThat(store.truncateStream("Tally/t", 3, 4)).isEqualTo(3);

        // event-7, event-6, event-5, event-4, event-3
        onLiquibase((liquibase) -> liquibase.rollback(5, (String) null));
        assertThat(tableExists("quark_event_stream")).as("after the rollback").isFalse();
        assertThat(tableExists("quark_event_snapshot")).isTrue();

        JdbcEventStore.migration(PREFIX).apply(this.dataSource);
        assertThat(this.jdbc.sql("select truncated_version from quark_event_stream where stream = 'Tally/t'")
            .query(Long.class)
            .single()).as("filled again from the snapshot").isEqualTo(3);
    }

    @Test
    void event3IsMarkedRanWhenTheStreamTableIsAlreadyThere() throws Exception {
        onLiquibase((liquibase) -> liquibase.update(2, new Contexts(), new LabelExpression()));
        this.jdbc.sql("create table quark_event_stream (stream text primary key, truncated_version bigint not null, "
                + "updated_at timestamp with time zone not null default now())").update();
        this.jdbc.sql("insert into quark_event_stream (stream, truncated_version) values ('Tally/t', 7)").update();

        JdbcEventStore.migration(PREFIX).apply(this.dataSource);

        assertThat(this.jdbc.sql("select exectype from databasechangelog where id = 'quark_event-3'")
            .query(String.class)
            .single()).isEqualTo("MARK_RAN");
        assertThat(new JdbcEventStore(this.dataSource, PREFIX).version("Tally/t")).isEqualTo(7);
    }

    @Test
    void event4FillsEachStreamsVersionFromItsEventsAndTruncations() throws Exception {
        onLiquibase((liquibase) -> liquibase.update(3, new Contexts(), new LabelExpression()));
        assertThat(columnExists("quark_event_stream", "version")).as("before event-4").isFalse();
        // events only; truncated through its last event; truncated with events kept; a snapshot's truncation only
        event("Tally/events", 1);
        event("Tally/events", 2);
        event("Tally/events", 3);
        this.jdbc.sql("insert into quark_event_stream (stream, truncated_version) values ('Tally/emptied', 5)")
            .update();
        snapshot("Tally/emptied", 5, 5);
        this.jdbc.sql("insert into quark_event_stream (stream, truncated_version) values ('Tally/kept', 2)").update();
        snapshot("Tally/kept", 2, 2);
        event("Tally/kept", 3);
        event("Tally/kept", 4);
        snapshot("Tally/snapshotOnly", 6, 6);

        JdbcEventStore.migration(PREFIX).apply(this.dataSource);

        assertThat(this.jdbc.sql("select stream, version from quark_event_stream order by stream")
            .query((row, number) -> Map.entry(row.getString(1), row.getLong(2)))
            .list()).containsExactly(Map.entry("Tally/emptied", 5L), Map.entry("Tally/events", 3L),
                    Map.entry("Tally/kept", 4L), Map.entry("Tally/snapshotOnly", 6L));
        JdbcEventStore store = new JdbcEventStore(this.dataSource, PREFIX);
        assertThat(store.append("Tally/events", List.of(new NewEvent(UUID.randomUUID(), "Added", 1, "{}")), 3)
            .version()).isEqualTo(4);
        assertThat(store.append("Tally/emptied", List.of(new NewEvent(UUID.randomUUID(), "Added", 1, "{}")), 5)
            .version()).isEqualTo(6);
        assertThat(store.append("Tally/kept", List.of(new NewEvent(UUID.randomUUID(), "Added", 1, "{}")), 4)
            .version()).isEqualTo(5);
        assertThat(store.append("Tally/snapshotOnly", List.of(new NewEvent(UUID.randomUUID(), "Added", 1, "{}")), 6)
            .version()).isEqualTo(7);
        assertThat(this.jdbc.sql("select sum(version) from quark_event_stream").query(Long.class).single())
            .isEqualTo(4 + 6 + 5 + 7);
    }

    @Test
    void event4RollsBackByDroppingTheVersionColumnAndAppliesAgain() throws Exception {
        JdbcEventStore.migration(PREFIX).apply(this.dataSource);
        JdbcEventStore store = new JdbcEventStore(this.dataSource, PREFIX);
        for (long version = 0; version < 3; version++) {
            store.append("Tally/t", List.of(new NewEvent(UUID.randomUUID(), "Added", 1, "{}")), version);
        }
        onLiquibase((liquibase) -> liquibase.rollback(4, (String) null));   // event-7, event-6, event-5, event-4
        assertThat(columnExists("quark_event_stream", "version")).as("after the rollback").isFalse();
        event("Tally/t", 4);

        JdbcEventStore.migration(PREFIX).apply(this.dataSource);
        assertThat(this.jdbc.sql("select version from quark_event_stream where stream = 'Tally/t'")
            .query(Long.class)
            .single()).as("filled again from the events").isEqualTo(4);
        assertThat(store.version("Tally/t")).isEqualTo(4);
    }

    @Test
    void event5LetsAnyLeaseClaimACheckpointWrittenBeforeItAndRollsBackKeepingTheCheckpoints() throws Exception {
        onLiquibase((liquibase) -> liquibase.update(4, new Contexts(), new LabelExpression()));
        assertThat(columnExists("quark_event_checkpoint", "lease_token")).as("before event-5").isFalse();
        this.jdbc.sql("insert into quark_event_checkpoint (subscription, txid, position) values ('balances', 12, 34)")
            .update();

        JdbcEventStore.migration(PREFIX).apply(this.dataSource);

        JdbcEventStore store = new JdbcEventStore(this.dataSource, PREFIX);
        assertThat(store.claimCheckpoint("balances", lease("balances", 3))).contains(new FeedPosition(12, 34));
        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> store.saveCheckpoint("balances", new FeedPosition(12, 40), lease("balances", 2)));
        assertThat(store.claimCheckpoint("audit", lease("audit", 4))).as("a row without a position yet").isEmpty();
        assertThat(store.checkpoint("audit")).isEmpty();

        onLiquibase((liquibase) -> liquibase.rollback(3, (String) null));   // event-7, event-6, event-5
        assertThat(columnExists("quark_event_checkpoint", "lease_token")).as("after the rollback").isFalse();
        assertThat(this.jdbc.sql("select subscription || ' ' || txid || '/' || position from quark_event_checkpoint")
            .query(String.class)
            .list()).as("the claimed-only row goes, the checkpoint stays").containsExactly("balances 12/34");

        JdbcEventStore.migration(PREFIX).apply(this.dataSource);
        assertThat(store.claimCheckpoint("balances", lease("balances", 1))).contains(new FeedPosition(12, 34));
    }

    @Test
    void event6KeepsTheLastRaiseBesideTheCheckpointAndRollsBackKeepingTheCheckpoint() throws Exception {
        JdbcEventStore.migration(PREFIX).apply(this.dataSource);
        JdbcEventStore store = new JdbcEventStore(this.dataSource, PREFIX);
        store.claimCheckpoint("balances", lease("balances", 3));
        store.saveCheckpoint("balances", new FeedPosition(12, 34), lease("balances", 3));
        Instant raisedAt = Instant.parse("2026-12-07T10:15:30.123456Z");
        store.recordTokensRaised("balances", raisedAt);
        assertThat(store.tokensRaisedAt("balances")).contains(raisedAt);

        onLiquibase((liquibase) -> liquibase.rollback(2, (String) null));   // event-7, event-6
        assertThat(columnExists("quark_event_checkpoint", "tokens_raised_at")).as("after the rollback").isFalse();
        assertThat(store.checkpoint("balances")).contains(new FeedPosition(12, 34));
        assertThat(store.checkpointStamp("balances")).contains(new FencingToken(3));

        JdbcEventStore.migration(PREFIX).apply(this.dataSource);
        assertThat(store.tokensRaisedAt("balances")).as("applied again: no raise kept").isEmpty();
    }

    @Test
    void event7KeepsDeadLettersBesideTheCheckpointAndRollsBackKeepingTheCheckpoint() throws Exception {
        JdbcEventStore.migration(PREFIX).apply(this.dataSource);
        JdbcEventStore store = new JdbcEventStore(this.dataSource, PREFIX);
        store.claimCheckpoint("balances", lease("balances", 3));
        StoredEvent event = new StoredEvent("Tally/t", 2, UUID.randomUUID(), "Added", 1, "{}",
                Instant.parse("2026-12-07T10:15:30Z"), new FeedPosition(12, 34));
        store.deadLetter(new EventDeadLetter("balances", event, 5, "boom", Instant.parse("2026-12-07T10:16:00Z")),
                lease("balances", 3));
        assertThat(store.deadLetters("balances", 10)).extracting(EventDeadLetter::event).containsExactly(event);

        onLiquibase((liquibase) -> liquibase.rollback(1, (String) null));   // event-7
        assertThat(tableExists("quark_event_dead_letter")).as("after the rollback").isFalse();
        assertThat(store.checkpoint("balances")).contains(new FeedPosition(12, 34));

        JdbcEventStore.migration(PREFIX).apply(this.dataSource);
        assertThat(store.deadLetters("balances", 10)).as("applied again: none kept").isEmpty();
    }

    private static Lease lease(String subscription, long token) {
        return new Lease("eventstore:subscription:" + subscription, "node-" + token, new FencingToken(token),
                Instant.MAX);
    }

    private boolean columnExists(String table, String column) {
        return !this.jdbc.sql("select 1 from information_schema.columns where table_schema = current_schema() "
                + "and table_name = ? and column_name = ?").params(table, column).query(Integer.class).list().isEmpty();
    }

    private void snapshot(String stream, long version, long truncatedVersion) {
        this.jdbc.sql("insert into quark_event_snapshot (stream, version, payload, truncated_version) "
                + "values (?, ?, '{}', ?) on conflict (stream) do update set version = excluded.version, "
                + "truncated_version = excluded.truncated_version")
            .params(stream, version, truncatedVersion)
            .update();
    }

    private void event(String stream, long version) {
        this.jdbc.sql("insert into quark_event (stream, version, event_id, event_type, schema_version, payload) "
                + "values (?, ?, ?, 'Added', 1, '{}')")
            .params(stream, version, UUID.randomUUID())
            .update();
    }

    private boolean tableExists(String table) {
        return !this.jdbc.sql("select 1 from information_schema.tables where table_schema = current_schema() "
                + "and table_name = ?").param(table).query(Integer.class).list().isEmpty();
    }

    private void onLiquibase(LiquibaseCall call) throws Exception {
        try (Connection connection = this.dataSource.getConnection()) {
            Database database = DatabaseFactory.getInstance()
                .findCorrectDatabaseImplementation(new JdbcConnection(connection));
            Liquibase liquibase = new Liquibase(JdbcEventStore.CHANGELOG,
                    new ClassLoaderResourceAccessor(getClass().getClassLoader()), database);
            liquibase.setChangeLogParameter(LiquibaseMigration.TABLE_PREFIX_PARAMETER, PREFIX.value());
            call.run(liquibase);
        }
    }

    @FunctionalInterface
    private interface LiquibaseCall {

        void run(Liquibase liquibase) throws Exception;
    }
}
